import Foundation
import KyvernRuntime

/// `/stats/summary` in upstream's shape (the part `metrics.k8s.io` needs): the node's and every
/// pod's and container's CPU (`usageNanoCores`, `usageCoreNanoSeconds`) and memory
/// (`workingSetBytes`, `usageBytes`).
enum StatsSummary {
    static func collect(endpoint: KubeletEndpoint) async throws -> [UInt8] {
        var summary = try await sample(endpoint: endpoint)
        if summary.needsSecondSample {
            try await Task.sleep(for: .seconds(UsageSampler.minimumInterval))
            summary = try await sample(endpoint: endpoint)
        }
        return summary.json
    }

    private struct Sampled {
        var json: [UInt8]
        var needsSecondSample: Bool
    }

    private static func sample(endpoint: KubeletEndpoint) async throws -> Sampled {
        let sampler = endpoint.sampler
        let now = Date()
        let formatter = ISO8601DateFormatter()
        let time = formatter.string(from: now)
        var missing = false
        var keys = Set<String>()

        func usage(_ key: String, cpu: UInt64, workingSet: UInt64, usage: UInt64) async -> (cpu: [String: Any], memory: [String: Any]) {
            keys.insert(key)
            let rate = await sampler.record(key, cumulative: cpu, at: now)
            if rate == nil { missing = true }
            var cpuObject: [String: Any] = ["time": time, "usageCoreNanoSeconds": cpu]
            if let rate { cpuObject["usageNanoCores"] = rate }
            return (cpuObject, ["time": time, "workingSetBytes": workingSet, "usageBytes": usage])
        }

        var node: [String: Any] = ["nodeName": endpoint.nodeName, "startTime": time]
        if let own = NodeUsage.read() {
            let figures = await usage("node", cpu: own.cpuNanoseconds, workingSet: own.memoryWorkingSetBytes, usage: own.memoryUsageBytes)
            node["cpu"] = figures.cpu
            node["memory"] = figures.memory
        }
        if let imageFs = try? await endpoint.runtime.imageFsInfo().first {
            node["runtime"] = ["imageFs": ImageFsSummary.object(imageFs, time: time)]
        }
        // One call for every sandbox where the runtime has it (CRI), else one per container.
        let sandboxStats = (try? await endpoint.runtime.listPodSandboxStats()) ?? nil
        let bySandbox = Dictionary((sandboxStats ?? []).map { ($0.sandboxID, $0) }, uniquingKeysWith: { first, _ in first })
        var pods: [[String: Any]] = []
        for pod in await endpoint.lookup.pods() {
            var containers: [[String: Any]] = []
            var cpuTotal: UInt64 = 0, workingSetTotal: UInt64 = 0, usageTotal: UInt64 = 0
            let sandbox = pod.sandboxID.flatMap { bySandbox[$0] }
            for (name, attempts) in pod.containers.sorted(by: { $0.key < $1.key }) {
                guard let id = attempts.current else { continue }
                var sampled = sandbox?.containers.first { $0.containerID == id }
                if sampled == nil { sampled = try? await endpoint.runtime.containerStats(id: id) }
                guard let stats = sampled else { continue }
                let figures = await usage("container/\(id)", cpu: stats.cpuUsageCoreNanoSeconds,
                                          workingSet: stats.memoryWorkingSetBytes, usage: stats.memoryUsageBytes)
                cpuTotal += stats.cpuUsageCoreNanoSeconds
                workingSetTotal += stats.memoryWorkingSetBytes
                usageTotal += stats.memoryUsageBytes
                containers.append(["name": name, "startTime": time, "cpu": figures.cpu, "memory": figures.memory])
            }
            // The sandbox's cgroup covers the whole pod; the sum of its containers is the fallback.
            if let sandbox {
                cpuTotal = max(cpuTotal, sandbox.cpuUsageCoreNanoSeconds)
                workingSetTotal = max(workingSetTotal, sandbox.memoryWorkingSetBytes)
                usageTotal = max(usageTotal, sandbox.memoryUsageBytes)
            }
            let figures = await usage("pod/\(pod.uid)", cpu: cpuTotal, workingSet: workingSetTotal, usage: usageTotal)
            pods.append([
                "podRef": ["name": pod.name, "namespace": pod.namespace, "uid": pod.uid],
                "startTime": time, "containers": containers, "cpu": figures.cpu, "memory": figures.memory,
            ])
        }
        await sampler.retain(keys)
        let object: [String: Any] = ["node": node, "pods": pods]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Sampled(json: Array(data), needsSecondSample: missing)
    }
}
