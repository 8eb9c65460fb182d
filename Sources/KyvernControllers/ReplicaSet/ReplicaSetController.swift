import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Keeps `spec.replicas` pods running for every ReplicaSet (upstream's ReplicaSet controller).
///
/// A sync claims the pods the selector matches (adopting orphans, releasing pods that stopped
/// matching), creates or deletes pods for the difference unless earlier writes are not yet
/// observed (expectations), and writes `status` when it changed.
struct ReplicaSetController: Reconciler {
    static let name = "replicaset"
    static let component = "replicaset-controller"
    static let kind = "ReplicaSet"
    static let apiVersion = "apps/v1"
    /// Most pods created or deleted in one sync (upstream's `BurstReplicas`).
    static let burstReplicas = 500
    /// The pod informer's indexes a sync reads through ``candidatePods(of:)``.
    static let podIndexes: [CacheIndex] = [.ownerUID, .uncontrolledByNamespace]

    let client: any KubernetesClient
    let replicaSets: any ObjectCache
    let pods: any ObjectCache
    let expectations: ControllerExpectations
    let podControl: PodControl
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }

    init(client: any KubernetesClient, replicaSets: any ObjectCache, pods: any ObjectCache,
         expectations: ControllerExpectations = ControllerExpectations(), queue: ControllerQueue?, logger: Logger,
         now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.replicaSets = replicaSets
        self.pods = pods
        self.expectations = expectations
        self.queue = queue
        self.logger = logger
        self.now = now
        self.podControl = PodControl(client: client, recorder: EventRecorder(
            client: client, component: Self.component, logger: logger))
    }

    func reconcile(_ key: ObjectKey) async throws {
        let expectationKey = key.description
        guard let rs = await replicaSets.get(namespace: key.namespace, name: key.name) else {
            logger.debug("replica set deleted", metadata: ["replicaset": "\(key)"])
            await expectations.delete(expectationKey)
            return
        }
        let needsSync = await expectations.satisfied(expectationKey)
        let selector: LabelSelector
        do {
            selector = try LabelSelector(labelSelector: rs[path: ["spec", "selector"]])
        } catch {
            // A selector the API accepted but we cannot read will not heal by retrying.
            logger.error("invalid selector", metadata: ["replicaset": "\(key)", "error": "\(error)"])
            return
        }
        let all = await candidatePods(of: rs)
        let claimed = try await claimPods(rs, selector: selector, candidates: all.filter(PodState.isActive))
        let terminating = all.filter {
            PodState.isTerminating($0) && ControllerRef(of: $0)?.uid == rs.uid && selector.matches(labelsOf: $0)
        }

        var manageError: (any Error)?
        if needsSync && rs.deletionTimestamp == nil {
            manageError = await manageReplicas(rs, active: claimed, key: key)
        }
        let status = ReplicaSetStatus.compute(for: rs, active: claimed, terminating: terminating.count,
                                              manageError: manageError, now: now())
        let updated = try await writeStatus(rs, status)

        let minReadySeconds = updated[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        let replicas = updated[path: ["spec", "replicas"]]?.intValue ?? 1
        if manageError == nil, minReadySeconds > 0,
           (updated[path: ["status", "readyReplicas"]]?.intValue ?? 0) == replicas,
           (updated[path: ["status", "availableReplicas"]]?.intValue ?? 0) != replicas {
            // Availability changes with time alone; look again once it may have.
            await queue?.addAfter(key, delay: .seconds(minReadySeconds))
        }
        if let manageError { throw manageError }
    }

    /// The pods a sync of `rs` must look at: those it owns and the uncontrolled ones of its
    /// namespace it could adopt. Pods controlled by another owner would only be ignored (upstream
    /// lists the whole namespace), so the indexes spare scanning thousands of them on every sync.
    func candidatePods(of rs: JSONValue) async -> [JSONValue] {
        let namespace = rs.namespace ?? ""
        var seen = Set<String>()
        var result: [JSONValue] = []
        let owned = await pods.list(index: .ownerUID, value: rs.uid ?? "")
        let uncontrolled = await pods.list(index: .uncontrolledByNamespace, value: namespace)
        for pod in owned + uncontrolled where (pod.namespace ?? "") == namespace {
            if seen.insert(pod.name ?? "").inserted { result.append(pod) }
        }
        return result
    }

    /// Writes `status` through the status subresource when it differs, retrying once on a
    /// conflict with a fresh copy (upstream's `updateReplicaSetStatus`). Returns the stored object.
    func writeStatus(_ rs: JSONValue, _ status: JSONValue) async throws -> JSONValue {
        var current = rs
        var attempt = 0
        while true {
            guard ReplicaSetStatus.differs(current, from: status) else { return current }
            current["status"] = status
            do {
                return try await client.updateStatus(.replicaSets, namespace: rs.namespace, current,
                                                     options: WriteOptions())
            } catch {
                attempt += 1
                guard attempt <= 1 else { throw error }
                current = try await client.get(.replicaSets, namespace: rs.namespace, name: rs.name ?? "")
            }
        }
    }
}
