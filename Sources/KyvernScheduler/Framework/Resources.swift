public import KyvernAPI

/// An amount of each schedulable resource, as integers in the units upstream compares in:
/// millicores for cpu, bytes for memory and ephemeral-storage, counts for everything else.
///
/// Quantities are parsed once with `KyvernAPI.Quantity` (rounding up, as upstream's `Value()`),
/// so the per-node arithmetic in Filter and Score is plain integer math.
public struct Resources: Sendable, Hashable {
    public var milliCPU: Int64 = 0
    public var memory: Int64 = 0
    public var ephemeralStorage: Int64 = 0
    /// Only meaningful for node allocatable ("pods").
    public var allowedPodNumber: Int64 = 0
    /// Extended resources and hugepages, by resource name.
    public var scalar: [String: Int64] = [:]

    public init(milliCPU: Int64 = 0, memory: Int64 = 0, ephemeralStorage: Int64 = 0,
                allowedPodNumber: Int64 = 0, scalar: [String: Int64] = [:]) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.ephemeralStorage = ephemeralStorage
        self.allowedPodNumber = allowedPodNumber
        self.scalar = scalar
    }

    /// Parses a resource list object (`{"cpu": "500m", "memory": "1Gi"}`); unparsable entries
    /// are ignored because the API server validated them already.
    public init(list: JSONValue?) {
        guard let entries = list?.objectValue else { return }
        for (name, raw) in entries {
            let quantity: Quantity
            switch raw {
            case .string(let text):
                guard let q = try? Quantity(parsing: text) else { continue }
                quantity = q
            case .int(let i): quantity = Quantity(i)
            default: continue
            }
            self[name] = name == "cpu" ? quantity.milliValue : quantity.value
        }
    }

    /// The amount of `name` in its comparison unit.
    public subscript(name: String) -> Int64 {
        get {
            switch name {
            case "cpu": milliCPU
            case "memory": memory
            case "ephemeral-storage": ephemeralStorage
            case "pods": allowedPodNumber
            default: scalar[name] ?? 0
            }
        }
        set {
            switch name {
            case "cpu": milliCPU = newValue
            case "memory": memory = newValue
            case "ephemeral-storage": ephemeralStorage = newValue
            case "pods": allowedPodNumber = newValue
            default: scalar[name] = newValue
            }
        }
    }

    public mutating func add(_ other: Resources) {
        milliCPU += other.milliCPU
        memory += other.memory
        ephemeralStorage += other.ephemeralStorage
        allowedPodNumber += other.allowedPodNumber
        for (name, amount) in other.scalar { scalar[name, default: 0] += amount }
    }

    public mutating func subtract(_ other: Resources) {
        milliCPU -= other.milliCPU
        memory -= other.memory
        ephemeralStorage -= other.ephemeralStorage
        allowedPodNumber -= other.allowedPodNumber
        for (name, amount) in other.scalar { scalar[name, default: 0] -= amount }
    }

    /// Raises each resource to at least `other`'s amount (init containers run one at a time,
    /// so the pod needs the largest of them, not their sum).
    public mutating func setMax(_ other: Resources) {
        milliCPU = max(milliCPU, other.milliCPU)
        memory = max(memory, other.memory)
        ephemeralStorage = max(ephemeralStorage, other.ephemeralStorage)
        allowedPodNumber = max(allowedPodNumber, other.allowedPodNumber)
        for (name, amount) in other.scalar { scalar[name] = max(scalar[name] ?? 0, amount) }
    }
}
