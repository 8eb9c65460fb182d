public import KyvernAPI

/// What a pod asks of a node, computed as upstream's `PodRequests`.
///
/// Regular containers run together, so their requests add up. Init containers run one after
/// another before them, so only the largest counts — except restartable ("sidecar") init
/// containers, which keep running and add to every later step. Pod overhead comes on top.
public struct PodRequests: Sendable, Hashable {
    /// Upstream's defaults for a container without a cpu or memory request, used only when
    /// scoring so that request-less pods still spread instead of piling on one node.
    public static let defaultMilliCPU: Int64 = 100
    public static let defaultMemory: Int64 = 200 * 1024 * 1024

    public var requests: Resources
    /// As `requests`, with the scoring defaults for containers that request no cpu or memory.
    public var nonZero: Resources

    public init(pod: JSONValue) {
        requests = Self.compute(pod, nonZero: false)
        nonZero = Self.compute(pod, nonZero: true)
    }

    private static func containerRequests(_ container: JSONValue, nonZero: Bool) -> Resources {
        var r = Resources(list: container[path: ["resources", "requests"]])
        if nonZero {
            let requests = container[path: ["resources", "requests"]]?.objectValue ?? [:]
            if requests["cpu"] == nil { r.milliCPU = defaultMilliCPU }
            if requests["memory"] == nil { r.memory = defaultMemory }
        }
        return r
    }

    private static func compute(_ pod: JSONValue, nonZero: Bool) -> Resources {
        var total = Resources()
        for container in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            total.add(containerRequests(container, nonZero: nonZero))
        }
        var sidecars = Resources()
        var initPeak = Resources()
        for container in pod[path: ["spec", "initContainers"]]?.arrayValue ?? [] {
            let own = containerRequests(container, nonZero: nonZero)
            if container["restartPolicy"]?.stringValue == "Always" {
                sidecars.add(own)
                initPeak.setMax(sidecars)
            } else {
                var step = own
                step.add(sidecars)
                initPeak.setMax(step)
            }
        }
        total.add(sidecars)
        total.setMax(initPeak)
        total.add(Resources(list: pod[path: ["spec", "overhead"]]))
        return total
    }
}
