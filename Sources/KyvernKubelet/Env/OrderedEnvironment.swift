import KyvernRuntime

/// Variables in the order they were first defined; redefining one keeps its place and takes
/// the new value (upstream builds a map, so later definitions win).
struct OrderedEnvironment: Sendable {
    private(set) var names: [String] = []
    private(set) var values: [String: String] = [:]

    mutating func set(_ name: String, _ value: String) {
        if values.updateValue(value, forKey: name) == nil { names.append(name) }
    }

    var variables: [EnvVar] { names.map { EnvVar(name: $0, value: values[$0] ?? "") } }

    /// Upstream's relaxed rule for names from `envFrom` (GA since 1.34): printable ASCII
    /// without `=`.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 32 && $0 <= 126 && $0 != UInt8(ascii: "=") }
    }
}
