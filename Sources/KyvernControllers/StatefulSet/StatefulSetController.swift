import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Runs a StatefulSet's pods under stable identities (upstream's StatefulSet controller).
///
/// A sync claims the set's pods and revisions, finds its current and update revisions, then creates
/// missing ordinals (with their claims), recreates finished pods, removes ordinals above the
/// replica count from the highest down and replaces pods of old revisions as the update strategy
/// allows. `OrderedReady` does one step at a time, each after its predecessors are Running and
/// Ready; `Parallel` does every step at once.
struct StatefulSetController: Reconciler {
    static let name = "statefulset"
    static let component = "statefulset-controller"
    static let kind = "StatefulSet"
    static let apiVersion = "apps/v1"
    static let podIndexes: [CacheIndex] = [.ownerUID, .uncontrolledByNamespace]

    let client: any KubernetesClient
    let sets: any ObjectCache
    let pods: any ObjectCache
    let claims: any ObjectCache
    let revisions: any ObjectCache
    let expectations: ControllerExpectations
    let podControl: PodControl
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date

    init(client: any KubernetesClient, sets: any ObjectCache, pods: any ObjectCache, claims: any ObjectCache,
         revisions: any ObjectCache, expectations: ControllerExpectations = ControllerExpectations(),
         queue: ControllerQueue?, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.sets = sets
        self.pods = pods
        self.claims = claims
        self.revisions = revisions
        self.expectations = expectations
        self.queue = queue
        self.logger = logger
        self.now = now
        self.podControl = PodControl(client: client, recorder: EventRecorder(client: client, component: Self.component, logger: logger))
    }

    func reconcile(_ key: ObjectKey) async throws {
        let expectationKey = key.description
        guard let set = await sets.get(namespace: key.namespace, name: key.name) else {
            await expectations.delete(expectationKey)
            return
        }
        let selector: LabelSelector
        do {
            selector = try LabelSelector(labelSelector: set[path: ["spec", "selector"]])
        } catch {
            logger.error("invalid selector", metadata: ["statefulset": "\(key)", "error": "\(error)"])
            return
        }
        if selector.isEmpty { return }
        let claimed = try await claimPods(set, selector: selector)
        let (current, update, all) = try await revisions(set, selector: selector)
        var syncError: (any Error)?
        if await expectations.satisfied(expectationKey), set.deletionTimestamp == nil {
            do {
                try await sync(set, pods: claimed, current: current, update: update, key: expectationKey)
            } catch {
                syncError = error
            }
        }
        let written = try await writeStatus(set, pods: claimed, current: current.name ?? "", update: update.name ?? "")
        if syncError == nil {
            try await truncateHistory(set, pods: claimed, all: all, current: current, update: update)
        }
        let minReadySeconds = written[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        if minReadySeconds > 0,
           written[path: ["status", "readyReplicas"]]?.intValue != written[path: ["status", "availableReplicas"]]?.intValue {
            await queue?.addAfter(key, delay: .seconds(minReadySeconds))
        }
        if let syncError { throw syncError }
    }

    /// The set's pods after adopting orphans named as its members and releasing those that stopped matching.
    func claimPods(_ set: JSONValue, selector: LabelSelector) async throws -> [JSONValue] {
        let namespace = set.namespace ?? ""
        var seen = Set<String>()
        var candidates: [JSONValue] = []
        let owned = await pods.list(index: .ownerUID, value: set.uid ?? "")
        let uncontrolled = await pods.list(index: .uncontrolledByNamespace, value: namespace)
        for pod in owned + uncontrolled where (pod.namespace ?? "") == namespace
            && StatefulPodIdentity.isMember(pod, of: set) && seen.insert(pod.name ?? "").inserted {
            candidates.append(pod)
        }
        let claim = ObjectClaim(client: client, resource: .pods, ref: ControllerRef(owner: set, apiVersion: Self.apiVersion, kind: Self.kind))
        let client = self.client
        return try await claim.claim(owner: set, selector: selector, candidates: candidates) {
            await ObjectClaim.recheck(client: client, ownerResource: .statefulSets, owner: set)
        }
    }

    /// Writes `status` when it differs, retrying once on a conflict.
    @discardableResult
    func writeStatus(_ set: JSONValue, pods: [JSONValue], current: String, update: String) async throws -> JSONValue {
        var fresh = set
        var attempt = 0
        while true {
            let status = StatefulSetStatus.compute(set: fresh, pods: pods, current: current, update: update, now: now())
            guard StatefulSetStatus.differs(fresh, from: status) else { return fresh }
            fresh["status"] = status
            do {
                return try await client.updateStatus(.statefulSets, namespace: set.namespace, fresh, options: WriteOptions())
            } catch {
                attempt += 1
                guard attempt <= 1 else { throw error }
                fresh = try await client.get(.statefulSets, namespace: set.namespace, name: set.name ?? "")
            }
        }
    }

    /// Running with a Ready condition (upstream's `isRunningAndReady`).
    static func isRunningAndReady(_ pod: JSONValue) -> Bool {
        PodState.phase(pod) == "Running" && PodState.isReady(pod)
    }

    /// Running and ready and not terminating (upstream's `isHealthy`).
    static func isHealthy(_ pod: JSONValue) -> Bool {
        isRunningAndReady(pod) && pod.deletionTimestamp == nil
    }
}
