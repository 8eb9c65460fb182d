import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Keeps every PodDisruptionBudget's status current (upstream's disruption controller): the
/// Eviction subresource reads `disruptionsAllowed` from it.
struct DisruptionController: Reconciler {
    static let name = "disruption"

    let client: any KubernetesClient
    let budgets: any ObjectCache
    let pods: any ObjectCache
    let replicaSets: any ObjectCache
    let deployments: any ObjectCache
    let statefulSets: any ObjectCache
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }

    func reconcile(_ key: ObjectKey) async throws {
        guard let pdb = await budgets.get(namespace: key.namespace, name: key.name), pdb.deletionTimestamp == nil else { return }
        let matched = await selectedPods(pdb)
        let scale = await controllerScale(of: matched)
        let now = now()
        let status = BudgetStatus.compute(pdb, pods: matched, scale: scale, now: now)
        if let pending = status["disruptedPods"]?.objectValue, !pending.isEmpty {
            // A pending eviction expires with time alone.
            await queue?.addAfter(key, delay: .seconds(Int64(BudgetStatus.deletionTimeout)))
        }
        guard Self.differs(pdb["status"] ?? [:], status) else { return }
        var updated = pdb
        updated["status"] = status
        _ = try await client.updateStatus(.podDisruptionBudgets, namespace: key.namespace, updated, options: WriteOptions())
    }

    /// Every field but condition transition times.
    static func differs(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func stripped(_ s: JSONValue) -> JSONValue {
            var s = s
            s["conditions"] = .array((s["conditions"]?.arrayValue ?? []).map { c in var c = c; c["lastTransitionTime"] = nil; return c })
            return s
        }
        return stripped(a) != stripped(b)
    }

    /// The budget's pods: its namespace's pods its selector matches (an empty selector matches all).
    func selectedPods(_ pdb: JSONValue) async -> [JSONValue] {
        guard let selector = try? LabelSelector(labelSelector: pdb[path: ["spec", "selector"]] ?? [:]) else { return [] }
        return await pods.list(namespace: pdb.namespace).filter { selector.matches(labelsOf: $0) }
    }

    /// The summed replicas of the pods' controllers (a Deployment's for its ReplicaSets); nil when
    /// a pod has no controller or an unknown one.
    func controllerScale(of pods: [JSONValue]) async -> Int? {
        var seen = Set<String>()
        var total = 0
        for pod in pods {
            guard let ref = ControllerRef(of: pod) else { return nil }
            guard seen.insert(ref.uid).inserted else { continue }
            let namespace = pod.namespace
            switch ref.kind {
            case "ReplicaSet":
                guard let rs = await replicaSets.get(namespace: namespace, name: ref.name), rs.uid == ref.uid else { return nil }
                if let owner = ControllerRef(of: rs), owner.kind == "Deployment" {
                    guard seen.insert(owner.uid).inserted else { continue }
                    guard let deployment = await deployments.get(namespace: namespace, name: owner.name) else { return nil }
                    total += Int(deployment[path: ["spec", "replicas"]]?.intValue ?? 1)
                } else {
                    total += Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
                }
            case "StatefulSet":
                guard let set = await statefulSets.get(namespace: namespace, name: ref.name) else { return nil }
                total += Int(set[path: ["spec", "replicas"]]?.intValue ?? 1)
            default:
                return nil
            }
        }
        return total
    }
}
