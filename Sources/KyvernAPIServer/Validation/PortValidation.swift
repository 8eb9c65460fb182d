import KyvernAPI

/// Upstream's port checks (`IsValidPortNum`, `IsValidPortName`, `supportedPortProtocols`),
/// shared by container ports and Service ports.
enum PortValidation {
    static let protocols = ["SCTP", "TCP", "UDP"]

    static func portNumberErrors(_ port: Int64) -> [String] {
        (1...65535).contains(port) ? [] : ["must be between 1 and 65535, inclusive"]
    }

    static func portNameErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.utf8.count > 15 { errors.append(NameValidation.maxLenError(15)) }
        if name.isEmpty || !name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !name.utf8.contains(where: { $0 >= 97 && $0 <= 122 }) { errors.append("must contain at least one letter (a-z)") }
        if name.contains("--") { errors.append("must not contain consecutive hyphens") }
        if name.hasPrefix("-") || name.hasSuffix("-") { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// A protocol, when given, must be one upstream supports (absent ones default to TCP).
    static func protocolCauses(_ value: JSONValue?, field: String) -> [APIError.Cause] {
        guard let value, let name = value.stringValue else { return [] }
        if name.isEmpty { return [.required(field)] }
        return protocols.contains(name) ? [] : [.notSupported(field, value, supported: protocols)]
    }

    /// `ValidatePortNumOrName`: a number in range or a valid port name.
    static func numberOrNameCauses(_ value: JSONValue?, field: String) -> [APIError.Cause] {
        switch value {
        case .int(let port)?:
            return portNumberErrors(port).map { .invalid(field, .int(port), $0) }
        case .string(let name)?:
            // A quoted number is a name to upstream's IntOrString, and fails as one.
            return portNameErrors(name).map { .invalid(field, .string(name), $0) }
        default:
            return []
        }
    }
}
