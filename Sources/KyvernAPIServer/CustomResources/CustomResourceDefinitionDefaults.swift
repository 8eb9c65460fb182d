import KyvernAPI

/// Upstream's defaults for CustomResourceDefinitions: the singular name and list kind derived from
/// the kind, `None` conversion, and port 443 for a conversion webhook's Service.
enum CustomResourceDefinitionDefaults {
    static func apply(_ object: inout JSONValue) {
        guard case .object = object["spec"] ?? .null else { return }
        if let kind = object[path: ["spec", "names", "kind"]]?.stringValue, !kind.isEmpty {
            if (object[path: ["spec", "names", "singular"]]?.stringValue ?? "").isEmpty {
                object[path: ["spec", "names", "singular"]] = .string(kind.lowercased())
            }
            if (object[path: ["spec", "names", "listKind"]]?.stringValue ?? "").isEmpty {
                object[path: ["spec", "names", "listKind"]] = .string("\(kind)List")
            }
        }
        if object[path: ["spec", "conversion"]] == nil || object[path: ["spec", "conversion"]] == .null {
            object[path: ["spec", "conversion"]] = ["strategy": "None"]
        }
        if object[path: ["spec", "conversion", "webhook", "clientConfig", "service"]]?.objectValue != nil,
           object[path: ["spec", "conversion", "webhook", "clientConfig", "service", "port"]] == nil {
            object[path: ["spec", "conversion", "webhook", "clientConfig", "service", "port"]] = 443
        }
    }
}
