import KyvernAPI

/// The size of a memory-backed volume, as upstream computes it: the node's allocatable memory
/// (no pod can use more), lowered to the pod's memory limit when every container has one, and
/// to the volume's `sizeLimit` when that is smaller still.
enum MemoryVolumeSize {
    static func bytes(pod: JSONValue, sizeLimit: JSONValue?, allocatable: NodeAllocatable) -> Int64 {
        var size = allocatable.memory.value
        if let podLimit = podMemoryLimit(pod), podLimit > 0, podLimit <= size { size = podLimit }
        if let limit = NodeAllocatable.quantity(sizeLimit)?.value, limit > 0, limit <= size { size = limit }
        return size
    }

    /// The pod's memory limit: `spec.resources` when set, else the sum of its containers' limits
    /// (or the largest init container's, if larger); nil when some container has no limit.
    static func podMemoryLimit(_ pod: JSONValue) -> Int64? {
        if let podLevel = NodeAllocatable.quantity(pod[path: ["spec", "resources", "limits", "memory"]]) {
            return podLevel.value
        }
        func limit(_ container: JSONValue) -> Int64? {
            NodeAllocatable.quantity(container[path: ["resources", "limits", "memory"]])?.value
        }
        var sum: Int64 = 0
        for container in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            guard let value = limit(container) else { return nil }
            sum += value
        }
        for container in pod[path: ["spec", "initContainers"]]?.arrayValue ?? [] {
            guard let value = limit(container) else { return nil }
            sum = max(sum, value)
        }
        return sum
    }
}
