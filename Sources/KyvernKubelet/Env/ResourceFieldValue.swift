import Foundation
import KyvernAPI

/// A `resourceFieldRef` (env or downwardAPI volume) as upstream's kubelet computes it: the
/// container's request or limit divided by `divisor` and rounded up, limits defaulting to the
/// node's allocatable.
enum ResourceFieldValue {
    /// `selector` is the `resourceFieldRef` object; `container` the container it names (or that
    /// declares the env var when `containerName` is empty).
    static func value(_ selector: JSONValue, container: JSONValue, allocatable: NodeAllocatable) throws(DownwardAPIError) -> String {
        let resource = selector["resource"]?.stringValue ?? ""
        var divisor = NodeAllocatable.quantity(selector["divisor"]) ?? Quantity(1)
        if divisor.isZero { divisor = Quantity(1) }
        let resources = container["resources"]
        func amount(_ kind: String, _ name: String) -> Quantity? {
            NodeAllocatable.quantity(resources?[path: [kind, name]])
        }
        switch resource {
        case "limits.cpu":
            return cpu(amount("limits", "cpu") ?? allocatable.cpu, divisor)
        case "limits.memory":
            return bytes(amount("limits", "memory") ?? allocatable.memory, divisor)
        case "limits.ephemeral-storage":
            return bytes(amount("limits", "ephemeral-storage") ?? allocatable.ephemeralStorage, divisor)
        case "requests.cpu":
            return cpu(amount("requests", "cpu") ?? Quantity(0), divisor)
        case "requests.memory":
            return bytes(amount("requests", "memory") ?? Quantity(0), divisor)
        case "requests.ephemeral-storage":
            return bytes(amount("requests", "ephemeral-storage") ?? Quantity(0), divisor)
        default:
            for kind in ["requests", "limits"] where resource.hasPrefix(kind + ".hugepages-") {
                let name = String(resource.dropFirst(kind.count + 1))
                return bytes(amount(kind, name) ?? Quantity(0), divisor)
            }
            throw DownwardAPIError("unsupported container resource : \(resource)")
        }
    }

    /// The container a volume's `resourceFieldRef.containerName` names, among all of the pod's.
    static func container(named name: String, in pod: JSONValue) throws(DownwardAPIError) -> JSONValue {
        for list in ["containers", "initContainers"] {
            for container in pod[path: ["spec", list]]?.arrayValue ?? [] where container["name"]?.stringValue == name {
                return container
            }
        }
        throw DownwardAPIError("container \(name) not found")
    }

    private static func cpu(_ amount: Quantity, _ divisor: Quantity) -> String {
        String(Int64((Double(amount.milliValue) / Double(divisor.milliValue)).rounded(.up)))
    }

    private static func bytes(_ amount: Quantity, _ divisor: Quantity) -> String {
        String(Int64((Double(amount.value) / Double(divisor.value)).rounded(.up)))
    }
}
