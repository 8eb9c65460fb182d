import Foundation
import KyvernAPI

/// What one DaemonSet sync should do: pods to delete and nodes to create a pod on.
struct DaemonSetPlan: Sendable {
    var deletions: [JSONValue] = []
    var creations: [String] = []
    /// Failed pods by node: deleted subject to the failed-pod backoff, with a warning Event.
    var failed: [(node: String, pod: JSONValue)] = []

    var isEmpty: Bool { deletions.isEmpty && creations.isEmpty }

    /// The manage step (upstream's `podsShouldBeOnNode` over every node, plus unscheduled pods whose
    /// node is gone): a pod for every eligible node lacking one, no pod where none may stay, no
    /// finished pods, and no more than one live pod per node — two only while a surge replaces an old pod.
    static func manage(ds: JSONValue, nodes: [JSONValue], pods: DaemonPods, hash: String, allowsSurge: Bool,
                       now: Date) -> DaemonSetPlan {
        var plan = DaemonSetPlan()
        let minReadySeconds = ds[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        for node in nodes {
            let name = node.name ?? ""
            let verdict = DaemonEligibility.evaluate(node: node, ds: ds)
            let existing = pods.byNode[name]
            if verdict.shouldRun && existing == nil {
                plan.creations.append(name)
            } else if verdict.shouldContinueRunning {
                var running: [JSONValue] = []
                for pod in existing ?? [] where pod.deletionTimestamp == nil {
                    let phase = PodState.phase(pod)
                    if phase == "Failed" {
                        plan.failed.append((name, pod))
                    } else if phase == "Succeeded" {
                        plan.deletions.append(pod)
                    } else {
                        running.append(pod)
                    }
                }
                guard running.count > 1 else { continue }
                if !allowsSurge {
                    plan.deletions += running.dropFirst()
                    continue
                }
                // Surge keeps an old ready pod beside a new one until the new one is available.
                var oldestNew: JSONValue?, oldestOld: JSONValue?
                for pod in running {
                    if DaemonPods.hash(of: pod) == hash {
                        if oldestNew == nil { oldestNew = pod; continue }
                    } else if oldestOld == nil {
                        oldestOld = pod
                        continue
                    }
                    plan.deletions.append(pod)
                }
                if let new = oldestNew, let old = oldestOld,
                   !PodState.isReady(old) || PodState.isAvailable(new, minReadySeconds: minReadySeconds, now: now) {
                    plan.deletions.append(old)
                }
            } else if let existing {
                plan.deletions += existing.filter { $0.deletionTimestamp == nil }
            }
        }
        let nodeNames = Set(nodes.compactMap(\.name))
        for (node, list) in pods.byNode where !nodeNames.contains(node) {
            plan.deletions += list.filter { PodState.nodeName($0).isEmpty && $0.deletionTimestamp == nil }
        }
        return plan
    }

    /// The rolling-update step (upstream's `rollingUpdate`): with no surge, deletes old pods while at most
    /// `maxUnavailable` nodes lack an available current pod (old pods not available go at once); with
    /// surge, creates current pods beside old ones on at most `maxSurge` nodes, and deletes an old pod
    /// once its replacement is available. `pods` covers every eligible node (absent: no pods).
    static func rollingUpdate(ds: JSONValue, eligibleNodes: [String], pods: DaemonPods, hash: String,
                              maxSurge: Int, maxUnavailable: Int, now: Date) -> DaemonSetPlan {
        let minReadySeconds = ds[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        func available(_ pod: JSONValue) -> Bool { PodState.isAvailable(pod, minReadySeconds: minReadySeconds, now: now) }
        var byNode = pods.byNode
        for node in eligibleNodes where byNode[node] == nil { byNode[node] = [] }
        let nodes = byNode.keys.sorted()
        var plan = DaemonSetPlan()
        if maxSurge == 0 {
            var unavailable = 0
            var replaceNow: [JSONValue] = [], candidates: [JSONValue] = []
            for node in nodes {
                guard let (new, old) = DaemonPods.updatedAndOld(byNode[node] ?? [], hash: hash) else {
                    unavailable += 1
                    continue
                }
                switch (new, old) {
                case (nil, nil), (.some, .some):
                    unavailable += 1
                case (let new?, nil):
                    if !available(new) { unavailable += 1 }
                case (nil, let old?):
                    if !available(old) {
                        replaceNow.append(old)
                    } else if unavailable < maxUnavailable {
                        candidates.append(old)
                    }
                }
            }
            let budget = min(max(maxUnavailable - unavailable, 0), candidates.count)
            plan.deletions = replaceNow + candidates.prefix(budget)
            return plan
        }
        var surging = 0
        var replaceNow: [String] = [], candidates: [String] = []
        for node in nodes {
            guard let (new, old) = DaemonPods.updatedAndOld(byNode[node] ?? [], hash: hash) else {
                surging += 1
                continue
            }
            guard let old else { continue }
            if let new {
                if available(new) { plan.deletions.append(old) } else { surging += 1 }
            } else if !available(old) {
                replaceNow.append(node)
            } else if surging < maxSurge {
                candidates.append(node)
            }
        }
        let budget = min(max(maxSurge - surging, 0), candidates.count)
        plan.creations = replaceNow + candidates.prefix(budget)
        return plan
    }

    /// `maxSurge` and `maxUnavailable` against the number of eligible nodes, both rounded up; one
    /// unavailable node is allowed when both come out 0 (upstream's `updatedDesiredNodeCounts`).
    static func bounds(ds: JSONValue, desired: Int) -> (surge: Int, unavailable: Int) {
        let rolling = ds[path: ["spec", "updateStrategy", "rollingUpdate"]]
        let surge = (try? RolloutBounds.scaledValue(rolling?["maxSurge"] ?? .int(0), total: desired, roundUp: true)) ?? 0
        var unavailable = (try? RolloutBounds.scaledValue(rolling?["maxUnavailable"] ?? .int(1), total: desired,
                                                          roundUp: true)) ?? 1
        if desired > 0 && surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }

    /// Whether the update strategy lets two pods share a node (upstream's `AllowsSurge`: maxSurge of one node).
    static func allowsSurge(_ ds: JSONValue) -> Bool {
        guard ds[path: ["spec", "updateStrategy", "type"]]?.stringValue == "RollingUpdate",
              let surge = ds[path: ["spec", "updateStrategy", "rollingUpdate", "maxSurge"]] else { return false }
        return ((try? RolloutBounds.scaledValue(surge, total: 1, roundUp: true)) ?? 0) != 0
    }
}
