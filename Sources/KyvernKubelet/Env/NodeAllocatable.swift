import Foundation
import KyvernAPI
import KyvernClient

/// The node's allocatable cpu, memory and ephemeral storage: what upstream's downward API reports
/// as a container's limit when it has none, and the size of a memory-backed volume without one.
struct NodeAllocatable: Sendable, Hashable {
    var cpu: Quantity
    var memory: Quantity
    var ephemeralStorage: Quantity

    /// The Node object's `status.allocatable`, each missing entry (or an unreachable Node) taken
    /// from the machine itself.
    static func fetch(client: any KubernetesClient, nodeName: String?) async -> NodeAllocatable {
        var allocatable = machine()
        guard let nodeName, !nodeName.isEmpty,
              let node = try? await client.get(.nodes, namespace: nil, name: nodeName) else { return allocatable }
        let entries = node[path: ["status", "allocatable"]]
        if let cpu = quantity(entries?["cpu"]) { allocatable.cpu = cpu }
        if let memory = quantity(entries?["memory"]) { allocatable.memory = memory }
        if let storage = quantity(entries?["ephemeral-storage"]) { allocatable.ephemeralStorage = storage }
        return allocatable
    }

    /// This machine's cores, memory and root filesystem size.
    static func machine() -> NodeAllocatable {
        let filesystem = try? FileManager.default.attributesOfFileSystem(forPath: "/")
        let storage = (filesystem?[.systemSize] as? NSNumber)?.int64Value ?? 0
        return NodeAllocatable(cpu: Quantity(Int64(ProcessInfo.processInfo.activeProcessorCount)),
                               memory: Quantity(Int64(ProcessInfo.processInfo.physicalMemory), format: .binarySI),
                               ephemeralStorage: Quantity(storage, format: .binarySI))
    }

    /// A quantity as the API spells it: a string (`"128Mi"`) or a bare number.
    static func quantity(_ value: JSONValue?) -> Quantity? {
        switch value {
        case .string(let text)?: return try? Quantity(parsing: text)
        case .int(let number)?: return Quantity(number)
        case .double(let number)?: return try? Quantity(parsing: String(number))
        default: return nil
        }
    }
}
