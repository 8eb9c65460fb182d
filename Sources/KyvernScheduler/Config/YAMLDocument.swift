public import KyvernAPI
import Yams

/// Turns a configuration file (YAML or JSON, which is YAML) into a ``JSONValue`` with YAML 1.1's
/// plain-scalar typing as sigs.k8s.io/yaml applies it: unquoted numbers and booleans are typed,
/// quoted ones stay strings.
enum YAMLDocument {
    static func parse(_ text: String) throws(SchedulerConfigError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw SchedulerConfigError(message: "error converting YAML to JSON: \(error)")
        }
        guard let node else { return .null }
        return try json(node)
    }

    private static func json(_ node: Node) throws(SchedulerConfigError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            let text = scalar.string
            switch text {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            case "", "~", "null", "Null", "NULL": return .null
            default: break
            }
            if let int = Int64(text) { return .int(int) }
            if text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true,
               let double = Double(text) {
                return .double(double)
            }
            return .string(text)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(item)) }
            return .array(items)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw SchedulerConfigError(message: "error converting YAML to JSON: unsupported map key")
                }
                object[keyScalar.string] = try json(value)
            }
            return .object(object)
        }
    }
}
