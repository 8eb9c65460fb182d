import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Runs one pod of every DaemonSet on each node it is eligible for (upstream's DaemonSet controller).
///
/// A sync claims the DaemonSet's pods and ControllerRevisions, snapshots the current template as a
/// revision, creates and deletes pods so each eligible node has exactly one, replaces old pods as the
/// update strategy allows, trims the history and writes `status`.
struct DaemonSetController: Reconciler {
    static let name = "daemonset"
    static let component = "daemonset-controller"
    static let kind = "DaemonSet"
    static let apiVersion = "apps/v1"
    /// Most pods created or deleted in one sync (upstream's `BurstReplicas` for DaemonSets).
    static let burstReplicas = 250
    static let podIndexes: [CacheIndex] = [.ownerUID, .uncontrolledByNamespace]

    let client: any KubernetesClient
    let daemonSets: any ObjectCache
    let pods: any ObjectCache
    let nodes: any ObjectCache
    let revisions: any ObjectCache
    let expectations: ControllerExpectations
    let failedPodBackoff: FailedPodBackoff
    let podControl: PodControl
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date

    init(client: any KubernetesClient, daemonSets: any ObjectCache, pods: any ObjectCache, nodes: any ObjectCache,
         revisions: any ObjectCache, expectations: ControllerExpectations = ControllerExpectations(),
         failedPodBackoff: FailedPodBackoff = FailedPodBackoff(), queue: ControllerQueue?, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.daemonSets = daemonSets
        self.pods = pods
        self.nodes = nodes
        self.revisions = revisions
        self.expectations = expectations
        self.failedPodBackoff = failedPodBackoff
        self.queue = queue
        self.logger = logger
        self.now = now
        self.podControl = PodControl(client: client, recorder: EventRecorder(
            client: client, component: Self.component, logger: logger))
    }

    func reconcile(_ key: ObjectKey) async throws {
        let expectationKey = key.description
        guard let ds = await daemonSets.get(namespace: key.namespace, name: key.name) else {
            await expectations.delete(expectationKey)
            return
        }
        let selector: LabelSelector
        do {
            selector = try LabelSelector(labelSelector: ds[path: ["spec", "selector"]])
        } catch {
            logger.error("invalid selector", metadata: ["daemonset": "\(key)", "error": "\(error)"])
            return
        }
        // An empty selector would take every pod of the namespace; upstream refuses to act on it.
        if selector.isEmpty { return }
        if ds.deletionTimestamp != nil { return }
        let nodeList = await nodes.list(namespace: nil)
        let claimed = try await claimPods(ds, selector: selector)
        let (current, old) = try await constructHistory(ds, selector: selector)
        let hash = current.labels[ControllerHistory.hashLabel] ?? current.name ?? ""
        let daemonPods = DaemonPods(claimed)

        guard await expectations.satisfied(expectationKey) else {
            try await writeStatus(ds, nodes: nodeList, pods: daemonPods, hash: hash, observeGeneration: false)
            return
        }
        var syncError: (any Error)?
        var manage = DaemonSetPlan.manage(ds: ds, nodes: nodeList, pods: daemonPods, hash: hash,
                                          allowsSurge: DaemonSetPlan.allowsSurge(ds), now: now())
        manage.deletions += await failedPodsToDelete(ds, manage.failed, key: key)
        syncError = await syncNodes(ds, plan: manage, hash: hash, key: expectationKey)
        if syncError == nil, manage.isEmpty,
           ds[path: ["spec", "updateStrategy", "type"]]?.stringValue == "RollingUpdate" {
            let eligible = nodeList.filter { DaemonEligibility.evaluate(node: $0, ds: ds).shouldRun }.compactMap(\.name)
            let bounds = DaemonSetPlan.bounds(ds: ds, desired: eligible.count)
            let rolling = DaemonSetPlan.rollingUpdate(ds: ds, eligibleNodes: eligible, pods: daemonPods, hash: hash,
                                                      maxSurge: bounds.surge, maxUnavailable: bounds.unavailable,
                                                      now: now())
            syncError = await syncNodes(ds, plan: rolling, hash: hash, key: expectationKey)
        }
        if syncError == nil { try await cleanupHistory(ds, old: old, pods: daemonPods) }
        let written = try await writeStatus(ds, nodes: nodeList, pods: daemonPods, hash: hash, observeGeneration: true)
        let minReadySeconds = written[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        if minReadySeconds > 0,
           written[path: ["status", "numberReady"]]?.intValue != written[path: ["status", "numberAvailable"]]?.intValue ?? 0 {
            // Availability changes with time alone; look again once it may have.
            await queue?.addAfter(key, delay: .seconds(minReadySeconds))
        }
        if let syncError { throw syncError }
    }

    /// The failed pods whose node is not backing off; a node that is gets the DaemonSet looked at
    /// again once its wait is over. Each deletion is announced as upstream's `FailedDaemonPod` warning.
    func failedPodsToDelete(_ ds: JSONValue, _ failed: [(node: String, pod: JSONValue)], key: ObjectKey) async -> [JSONValue] {
        var deletions: [JSONValue] = []
        for (node, pod) in failed {
            let backoffKey = FailedPodBackoff.key(dsUID: ds.uid ?? "", generation: ds.generation ?? 0, node: node)
            if let wait = await failedPodBackoff.remaining(backoffKey, now: now()) {
                await queue?.addAfter(key, delay: .milliseconds(Int64(wait * 1000)))
                continue
            }
            await failedPodBackoff.next(backoffKey, now: now())
            await podControl.recorder.record(ds, .warning, reason: "FailedDaemonPod", message:
                "Found failed daemon pod \(pod.namespace ?? "")/\(pod.name ?? "") on node \(node), will try to kill it")
            deletions.append(pod)
        }
        return deletions
    }

    /// The pods this DaemonSet owns after adopting matching orphans and releasing those that stopped matching.
    func claimPods(_ ds: JSONValue, selector: LabelSelector) async throws -> [JSONValue] {
        let namespace = ds.namespace ?? ""
        var seen = Set<String>()
        var candidates: [JSONValue] = []
        let owned = await pods.list(index: .ownerUID, value: ds.uid ?? "")
        let uncontrolled = await pods.list(index: .uncontrolledByNamespace, value: namespace)
        for pod in owned + uncontrolled where (pod.namespace ?? "") == namespace && seen.insert(pod.name ?? "").inserted {
            candidates.append(pod)
        }
        let claim = ObjectClaim(client: client, resource: .pods, ref: ControllerRef(owner: ds, apiVersion: Self.apiVersion, kind: Self.kind))
        let client = self.client
        return try await claim.claim(owner: ds, selector: selector, candidates: candidates) {
            await ObjectClaim.recheck(client: client, ownerResource: .daemonSets, owner: ds)
        }
    }

    /// Writes `status` through the status subresource when it differs, retrying once on a conflict.
    @discardableResult
    func writeStatus(_ ds: JSONValue, nodes: [JSONValue], pods: DaemonPods, hash: String,
                     observeGeneration: Bool) async throws -> JSONValue {
        var current = ds
        var attempt = 0
        while true {
            let status = DaemonSetStatus.compute(ds: current, nodes: nodes, pods: pods, hash: hash,
                                                 observeGeneration: observeGeneration, now: now())
            guard DaemonSetStatus.differs(current, from: status) else { return current }
            current["status"] = status
            do {
                return try await client.updateStatus(.daemonSets, namespace: ds.namespace, current, options: WriteOptions())
            } catch {
                attempt += 1
                guard attempt <= 1 else { throw error }
                current = try await client.get(.daemonSets, namespace: ds.namespace, name: ds.name ?? "")
            }
        }
    }
}
