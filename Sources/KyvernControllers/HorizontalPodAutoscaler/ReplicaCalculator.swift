import Foundation
import KyvernAPI

/// Upstream's replica calculation for one resource metric: the usage ratio over ready pods
/// with metrics, a 10% tolerance, and a second pass that assumes the least favourable usage
/// for pods without metrics and for not-yet-ready pods so they never cause flapping.
struct ReplicaCalculator: Sendable {
    /// A pod's summed usage of the resource (milli-units) and when it was measured.
    struct Sample: Sendable, Equatable {
        var value: Int64
        var timestamp: Date
        var window: TimeInterval
    }

    struct Proposal: Sendable, Equatable {
        var replicas: Int
        /// Percentage of requests (Utilization targets only).
        var utilization: Int?
        /// Average usage per pod, milli-units.
        var averageValue: Int64
    }

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    var tolerance = 0.1
    var cpuInitializationPeriod: TimeInterval = 300
    var initialReadinessDelay: TimeInterval = 30

    func replicas(currentReplicas: Int, target: ResourceMetricTarget, pods: [JSONValue], samples: [String: Sample],
                  now: Date) throws(Failure) -> Proposal {
        if samples.isEmpty { throw Failure(description: "unable to get metrics for resource \(target.resource): no metrics returned from resource metrics API") }
        if pods.isEmpty { throw Failure(description: "no pods returned by selector while calculating replica count") }
        let groups = group(pods, samples: samples, resource: target.resource, now: now)
        var metrics = samples.filter { !groups.unready.contains($0.key) && !groups.ignored.contains($0.key) }
            .mapValues(\.value)
        if metrics.isEmpty { throw Failure(description: "did not receive metrics for targeted pods (pods might be unready)") }
        let requests: [String: Int64]
        switch target.target {
        case .utilization:
            requests = try self.requests(pods, resource: target.resource)
        case .averageValue:
            requests = [:]
        }
        func ratio(_ metrics: [String: Int64]) throws(Failure) -> (ratio: Double, utilization: Int?, average: Int64) {
            switch target.target {
            case .utilization(let percent):
                var used: Int64 = 0, requested: Int64 = 0
                for (name, value) in metrics {
                    guard let request = requests[name] else { continue }
                    used += value
                    requested += request
                }
                if requested == 0 { throw Failure(description: "no metrics returned matched known pods") }
                let utilization = Int(used * 100 / requested)
                return (Double(utilization) / Double(percent), utilization, used / Int64(max(metrics.count, 1)))
            case .averageValue(let average):
                let total = metrics.values.reduce(0, +)
                let mean = total / Int64(max(metrics.count, 1))
                return (Double(total) / Double(metrics.count) / Double(average), nil, mean)
            }
        }
        let first = try ratio(metrics)
        let readyCount = metrics.count
        let scaleUpWithUnready = !groups.unready.isEmpty && first.ratio > 1
        let within = { (r: Double) in abs(1 - r) <= tolerance }
        if !scaleUpWithUnready && groups.missing.isEmpty {
            if within(first.ratio) { return Proposal(replicas: currentReplicas, utilization: first.utilization, averageValue: first.average) }
            return Proposal(replicas: Int((first.ratio * Double(readyCount)).rounded(.up)), utilization: first.utilization,
                            averageValue: first.average)
        }
        if first.ratio < 1 {
            // On a scale-down a pod without metrics counts as using its full request (or the target).
            for name in groups.missing {
                switch target.target {
                case .utilization(let percent):
                    let request = requests[name] ?? 0
                    metrics[name] = percent > 100 ? request * Int64(percent) / 100 : request
                case .averageValue(let average):
                    metrics[name] = average
                }
            }
        } else if first.ratio > 1 {
            for name in groups.missing { metrics[name] = 0 }
        }
        if scaleUpWithUnready { for name in groups.unready { metrics[name] = 0 } }
        let second = try ratio(metrics)
        let keep = Proposal(replicas: currentReplicas, utilization: first.utilization, averageValue: first.average)
        if within(second.ratio) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1) { return keep }
        let replicas = Int((second.ratio * Double(metrics.count)).rounded(.up))
        if (second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas) { return keep }
        return Proposal(replicas: replicas, utilization: first.utilization, averageValue: first.average)
    }

    struct Groups: Equatable {
        var unready: Set<String> = []
        var missing: Set<String> = []
        var ignored: Set<String> = []
    }

    /// Deleted and failed pods are ignored; pending ones are unready; for CPU a pod is also
    /// unready while its first readiness is too recent for its sample to reflect real load.
    func group(_ pods: [JSONValue], samples: [String: Sample], resource: String, now: Date) -> Groups {
        var groups = Groups()
        for pod in pods {
            let name = pod.name ?? ""
            let phase = pod[path: ["status", "phase"]]?.stringValue
            if pod[path: ["metadata", "deletionTimestamp"]] != nil || phase == "Failed" {
                groups.ignored.insert(name)
                continue
            }
            if phase == "Pending" {
                groups.unready.insert(name)
                continue
            }
            guard let sample = samples[name] else {
                groups.missing.insert(name)
                continue
            }
            if resource == "cpu", isUnreadyForCPU(pod, sample: sample, now: now) { groups.unready.insert(name) }
        }
        return groups
    }

    private func isUnreadyForCPU(_ pod: JSONValue, sample: Sample, now: Date) -> Bool {
        let ready = (pod[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
        guard let ready, let start = pod[path: ["status", "startTime"]]?.stringValue.flatMap(Timestamp.parse) else { return true }
        let transition = ready["lastTransitionTime"]?.stringValue.flatMap(Timestamp.parse) ?? start
        let isFalse = ready["status"]?.stringValue == "False"
        if start.addingTimeInterval(cpuInitializationPeriod) > now {
            return isFalse || sample.timestamp < transition.addingTimeInterval(sample.window)
        }
        return isFalse && start.addingTimeInterval(initialReadinessDelay) > transition
    }

    /// Each pod's summed container requests; every container must request the resource.
    func requests(_ pods: [JSONValue], resource: String) throws(Failure) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for pod in pods {
            var total: Int64 = 0
            for container in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
                guard let value = container[path: ["resources", "requests", resource]].flatMap(ResourceMetricTarget.milli) else {
                    throw Failure(description: "missing request for \(resource) in container \(container["name"]?.stringValue ?? "") of Pod \(pod.name ?? "")")
                }
                total += value
            }
            result[pod.name ?? ""] = total
        }
        return result
    }
}
