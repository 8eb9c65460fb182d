import KyvernAPI

/// ConfigMap and Secret contents: valid keys and at most 1 MiB of data (upstream's
/// `ValidateConfigMap`/`ValidateSecret`), plus the keys each Secret type requires.
enum ConfigDataValidation {
    static let maxSize = 1024 * 1024

    /// Upstream's `IsConfigMapKey`.
    static func keyErrors(_ key: String) -> [String] {
        var errors: [String] = []
        if key.utf8.count > NameValidation.dns1123SubdomainMaxLength {
            errors.append(NameValidation.maxLenError(NameValidation.dns1123SubdomainMaxLength))
        }
        let valid = !key.isEmpty && key.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95
        }
        if !valid {
            errors.append(NameValidation.regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                                    "[-._a-zA-Z0-9]+", "key.name", "KEY_NAME", "key-name"))
        }
        if key == "." {
            errors.append("must not be '.'")
        } else if key == ".." {
            errors.append("must not be '..'")
        } else if key.hasPrefix("..") {
            errors.append("must not start with '..'")
        }
        return errors
    }

    static func keyCauses(_ map: [String: JSONValue], field: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for key in map.keys.sorted() {
            for message in keyErrors(key) {
                causes.append(.invalid("\(field)[\(key)]", .string(key), message))
            }
        }
        return causes
    }

    /// The byte length of a base64 value once decoded.
    static func decodedLength(_ value: JSONValue) -> Int {
        let text = value.stringValue ?? ""
        let padding = text.reversed().prefix(while: { $0 == "=" }).count
        return text.utf8.count / 4 * 3 - padding
    }

    static func validateConfigMap(_ object: JSONValue) -> [APIError.Cause] {
        let data = object["data"]?.objectValue ?? [:]
        let binary = object["binaryData"]?.objectValue ?? [:]
        var causes = keyCauses(data, field: "data") + keyCauses(binary, field: "binaryData")
        for key in binary.keys.sorted() where data[key] != nil {
            causes.append(.invalid("binaryData[\(key)]", .string(key), "duplicate of key present in data"))
        }
        let size = data.values.reduce(0) { $0 + ($1.stringValue?.utf8.count ?? 0) } + binary.values.reduce(0) { $0 + decodedLength($1) }
        if size > maxSize {
            causes.append(.tooLong("[]", maxBytes: maxSize))
        }
        return causes
    }

    static func validateSecret(_ object: JSONValue) -> [APIError.Cause] {
        let data = object["data"]?.objectValue ?? [:]
        let stringData = object["stringData"]?.objectValue ?? [:]
        var causes = keyCauses(data, field: "data") + keyCauses(stringData, field: "stringData")
        let size = data.values.reduce(0) { $0 + decodedLength($1) } + stringData.values.reduce(0) { $0 + ($1.stringValue?.utf8.count ?? 0) }
        if size > maxSize {
            causes.append(.tooLong("data", maxBytes: maxSize))
        }
        // stringData is merged into data before upstream validates, so its keys count as present.
        let present = data.merging(stringData) { a, _ in a }
        switch object["type"]?.stringValue ?? "Opaque" {
        case "kubernetes.io/tls":
            for key in ["tls.crt", "tls.key"] where present[key] == nil {
                causes.append(.required("data[\(key)]"))
            }
        case "kubernetes.io/dockerconfigjson":
            if present[".dockerconfigjson"] == nil { causes.append(.required("data[.dockerconfigjson]")) }
        case "kubernetes.io/dockercfg":
            if present[".dockercfg"] == nil { causes.append(.required("data[.dockercfg]")) }
        case "kubernetes.io/ssh-auth":
            if present["ssh-privatekey"] == nil {
                causes.append(.required("data[ssh-privatekey]"))
            }
        case "kubernetes.io/basic-auth":
            if present["username"] == nil && present["password"] == nil {
                causes.append(.required("data[username]"))
                causes.append(.required("data[password]"))
            }
        case "kubernetes.io/service-account-token":
            if (object[path: ["metadata", "annotations", "kubernetes.io/service-account.name"]]?.stringValue ?? "").isEmpty {
                causes.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
            }
        default:
            break
        }
        return causes
    }
}
