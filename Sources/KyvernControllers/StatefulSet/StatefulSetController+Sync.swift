import KyvernAPI
import KyvernClient

extension StatefulSetController {
    /// One pass of upstream's `updateStatefulSet`: replicas first (create, recreate, wait for health,
    /// repair identity and claims), then condemned ordinals from the highest, then the rolling update.
    func sync(_ set: JSONValue, pods: [JSONValue], current: JSONValue, update: JSONValue, key: String) async throws {
        let currentSet = Self.applying(current, to: set)
        let updateSet = Self.applying(update, to: set)
        let start = StatefulPodIdentity.startOrdinal(set)
        let count = StatefulPodIdentity.replicas(set)
        var replicas: [JSONValue?] = Array(repeating: nil, count: count)
        var condemned: [JSONValue] = []
        for pod in pods {
            guard let ordinal = StatefulPodIdentity.ordinal(of: pod) else { continue }
            if StatefulPodIdentity.inRange(ordinal, of: set) {
                replicas[ordinal - start] = pod
            } else {
                condemned.append(pod)
            }
        }
        condemned.sort { (StatefulPodIdentity.ordinal(of: $0) ?? 0) > (StatefulPodIdentity.ordinal(of: $1) ?? 0) }
        let ref = ControllerRef(owner: set, apiVersion: Self.apiVersion, kind: Self.kind)
        let filled: [JSONValue] = replicas.enumerated().map { index, pod in
            pod ?? newVersionedPod(currentSet: currentSet, updateSet: updateSet, current: current.name ?? "",
                                   update: update.name ?? "", ordinal: start + index, ref: ref)
        }
        let monotonic = set[path: ["spec", "podManagementPolicy"]]?.stringValue != "Parallel"
        let firstUnhealthy = (filled + condemned.reversed()).first { !Self.isHealthy($0) }?.name

        var blocked = false
        for pod in filled {
            let exit = try await processReplica(set: set, updateSet: updateSet, pod: pod, monotonic: monotonic, key: key)
            if exit { blocked = true; if monotonic { return } }
        }
        if blocked { return }
        for pod in condemned { try await fixClaims(set: set, pod: pod) }
        for pod in condemned {
            let exit = try await processCondemned(set: set, pod: pod, firstUnhealthy: firstUnhealthy, monotonic: monotonic, key: key)
            if exit { blocked = true; if monotonic { return } }
        }
        if blocked { return }
        guard set[path: ["spec", "updateStrategy", "type"]]?.stringValue != "OnDelete" else { return }
        try await rollingUpdate(set: set, replicas: filled, update: update.name ?? "", key: key)
    }

    /// A missing ordinal's pod: from the current revision below the partition, else the update one.
    func newVersionedPod(currentSet: JSONValue, updateSet: JSONValue, current: String, update: String,
                         ordinal: Int, ref: ControllerRef) -> JSONValue {
        let strategy = currentSet[path: ["spec", "updateStrategy"]]
        let partition = Int(strategy?[path: ["rollingUpdate", "partition"]]?.intValue ?? 0)
        if strategy?["type"]?.stringValue == "RollingUpdate", ordinal < partition {
            return StatefulPodIdentity.newPod(set: currentSet, ordinal: ordinal, revision: current, controllerRef: ref)
        }
        return StatefulPodIdentity.newPod(set: updateSet, ordinal: ordinal, revision: update, controllerRef: ref)
    }

    /// Upstream's `processReplica`; true when this pass must stop (in `OrderedReady`) or wait.
    func processReplica(set: JSONValue, updateSet: JSONValue, pod: JSONValue, monotonic: Bool, key: String) async throws -> Bool {
        let phase = PodState.phase(pod)
        if phase == "Failed" || phase == "Succeeded" {
            // A finished pod is replaced under the same name once its deletion is through.
            if pod.deletionTimestamp == nil { try await deletePod(set, pod, key: key) }
            return true
        }
        if phase.isEmpty && pod.resourceVersion == nil {
            if try await claimIsStale(set: set, pod: pod) { return true }
            try await createPod(set, pod, key: key)
            return monotonic
        }
        if phase == "Pending" { try await createMissingClaims(set: set, pod: pod) }
        if pod.deletionTimestamp != nil && monotonic { return true }
        if !Self.isRunningAndReady(pod) && monotonic { return true }
        let minReadySeconds = set[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        if !PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now()) && monotonic { return true }
        if !StatefulPodIdentity.identityMatches(pod, set: set) {
            try await podControl.patchPod(namespace: pod.namespace ?? "", name: pod.name ?? "", StatefulPodIdentity.identityPatch(pod))
        }
        try await createMissingClaims(set: updateSet, pod: pod)
        try await fixClaims(set: updateSet, pod: pod)
        return false
    }

    /// Upstream's `processCondemned`: scale-down of one ordinal above the replica count.
    func processCondemned(set: JSONValue, pod: JSONValue, firstUnhealthy: String?, monotonic: Bool, key: String) async throws -> Bool {
        if pod.deletionTimestamp != nil { return monotonic }
        let minReadySeconds = set[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        if monotonic && pod.name != firstUnhealthy
            && (!Self.isRunningAndReady(pod) || !PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now())) {
            return true
        }
        try await deletePod(set, pod, key: key)
        return monotonic
    }

    /// Upstream's `updateStatefulSetAfterInvariantEstablished`: with fewer than `maxUnavailable`
    /// unavailable pods, deletes pods of old revisions from the highest ordinal down to the
    /// partition; each comes back from the update revision.
    func rollingUpdate(set: JSONValue, replicas: [JSONValue], update: String, key: String) async throws {
        let rolling = set[path: ["spec", "updateStrategy", "rollingUpdate"]]
        let partition = Int(rolling?["partition"]?.intValue ?? 0)
        var maxUnavailable = (try? RolloutBounds.scaledValue(rolling?["maxUnavailable"] ?? .int(1), total: replicas.count,
                                                             roundUp: false)) ?? 1
        if maxUnavailable < 1 { maxUnavailable = 1 }
        let minReadySeconds = set[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        let unavailable = replicas.filter {
            !Self.isHealthy($0) || !PodState.isAvailable($0, minReadySeconds: minReadySeconds, now: now())
        }.count
        guard unavailable < maxUnavailable else { return }
        var budget = maxUnavailable - unavailable
        let start = StatefulPodIdentity.startOrdinal(set)
        for index in stride(from: replicas.count - 1, through: 0, by: -1) where budget > 0 && start + index >= start + partition {
            let pod = replicas[index]
            if StatefulPodIdentity.revision(of: pod) != update && pod.deletionTimestamp == nil {
                try await deletePod(set, pod, key: key)
                budget -= 1
            }
        }
    }
}
