import Foundation
import Yams

extension EncryptionConfiguration {
    static let apiVersion = "apiserver.config.k8s.io/v1"
    static let kind = "EncryptionConfiguration"

    /// Reads a configuration file (YAML or JSON).
    package static func load(path: String) throws -> EncryptionConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EncryptionConfigurationError(field: "", "cannot read encryption provider configuration \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EncryptionConfigurationError(field: "", "\(path) is not UTF-8 text")
        }
        return try parse(text)
    }

    /// Parses and validates the text of a configuration (YAML, of which JSON is a subset).
    package static func parse(_ text: String) throws -> EncryptionConfiguration {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw EncryptionConfigurationError(field: "", "not valid YAML or JSON: \(error)")
        }
        guard let root = document as? [String: Any] else {
            throw EncryptionConfigurationError(field: "", "expected an EncryptionConfiguration object")
        }
        let apiVersion = root["apiVersion"] as? String ?? ""
        guard apiVersion == Self.apiVersion else {
            throw EncryptionConfigurationError(field: "apiVersion", "Unsupported value: \"\(apiVersion)\": supported values: \"\(Self.apiVersion)\"")
        }
        let kind = root["kind"] as? String ?? ""
        guard kind == Self.kind else {
            throw EncryptionConfigurationError(field: "kind", "Unsupported value: \"\(kind)\": supported values: \"\(Self.kind)\"")
        }
        guard let entries = root["resources"] as? [Any], !entries.isEmpty else {
            throw EncryptionConfigurationError(field: "resources", "Required value: resources is a required field")
        }
        var seen: Set<String> = []
        var parsed: [ResourceEntry] = []
        for (index, raw) in entries.enumerated() {
            let field = "resources[\(index)]"
            guard let entry = raw as? [String: Any] else {
                throw EncryptionConfigurationError(field: field, "Invalid value: expected an object with resources and providers")
            }
            let resources = try parseResources(entry["resources"], field: "\(field).resources", seen: &seen)
            let providers = try parseProviders(entry["providers"], field: "\(field).providers")
            parsed.append(ResourceEntry(resources: resources, providers: providers))
        }
        return EncryptionConfiguration(resources: parsed)
    }

    private static func parseResources(_ raw: Any?, field: String, seen: inout Set<String>) throws -> [String] {
        guard let list = raw as? [Any], !list.isEmpty else {
            throw EncryptionConfigurationError(field: field, "Required value: resources is a required field")
        }
        var names: [String] = []
        for (index, item) in list.enumerated() {
            guard let name = item as? String, !name.isEmpty, name == name.lowercased(),
                  !name.contains(where: { $0 == "/" || $0 == " " }) else {
                throw EncryptionConfigurationError(field: "\(field)[\(index)]", "Invalid value: \"\(item)\": resource name should be lowercase, without '/', in the form resource.group")
            }
            if name.hasPrefix("*") && name != "*.*" && !name.hasPrefix("*.") {
                throw EncryptionConfigurationError(field: "\(field)[\(index)]", "Invalid value: \"\(name)\": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources")
            }
            guard seen.insert(name).inserted else {
                throw EncryptionConfigurationError(field: "\(field)[\(index)]", "Duplicate value: \"\(name)\"")
            }
            names.append(name)
        }
        return names
    }

    private static func parseProviders(_ raw: Any?, field: String) throws -> [Provider] {
        guard let list = raw as? [Any], !list.isEmpty else {
            throw EncryptionConfigurationError(field: field, "Required value: providers is a required field")
        }
        var providers: [Provider] = []
        for (index, item) in list.enumerated() {
            let field = "\(field)[\(index)]"
            guard let object = item as? [String: Any] else {
                throw EncryptionConfigurationError(field: field, "Invalid value: expected one provider object")
            }
            let known = ["aescbc", "aesgcm", "secretbox", "identity", "kms"]
            let present = known.filter { object[$0] != nil }
            if present.count > 1 {
                throw EncryptionConfigurationError(field: field, "Invalid value: more than one provider specified in a single element, should split into different list elements")
            }
            guard let type = present.first else {
                throw EncryptionConfigurationError(field: field, "Invalid value: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity")
            }
            switch type {
            case "identity":
                providers.append(.identity)
            case "kms":
                throw EncryptionConfigurationError(field: "\(field).kms", "Unsupported value: kms providers are not supported by Kyvern; use aescbc, aesgcm or secretbox")
            default:
                let sizes = type == "secretbox" ? [32] : [16, 24, 32]
                let keys = try parseKeys((object[type] as? [String: Any])?["keys"], field: "\(field).\(type).keys", sizes: sizes)
                switch type {
                case "aescbc": providers.append(.aescbc(keys))
                case "aesgcm": providers.append(.aesgcm(keys))
                default: providers.append(.secretbox(keys))
                }
            }
        }
        return providers
    }

    private static func parseKeys(_ raw: Any?, field: String, sizes: [Int]) throws -> [Key] {
        guard let list = raw as? [Any], !list.isEmpty else {
            throw EncryptionConfigurationError(field: field, "Required value: keys (min 1) is a required field")
        }
        var names: Set<String> = []
        var keys: [Key] = []
        for (index, item) in list.enumerated() {
            let field = "\(field)[\(index)]"
            let object = item as? [String: Any] ?? [:]
            guard let name = object["name"] as? String, !name.isEmpty else {
                throw EncryptionConfigurationError(field: "\(field).name", "Required value: key name is required")
            }
            if name.contains(":") {
                throw EncryptionConfigurationError(field: "\(field).name", "Invalid value: \"\(name)\": should not contain ':'")
            }
            guard names.insert(name).inserted else {
                throw EncryptionConfigurationError(field: "\(field).name", "Duplicate value: \"\(name)\"")
            }
            guard let encoded = object["secret"] as? String, !encoded.isEmpty else {
                throw EncryptionConfigurationError(field: "\(field).secret", "Required value: secret is required")
            }
            guard let secret = Data(base64Encoded: encoded) else {
                throw EncryptionConfigurationError(field: "\(field).secret", "Invalid value: \"REDACTED\": secrets must be base64 encoded")
            }
            guard sizes.contains(secret.count) else {
                let expected = sizes.map(String.init).joined(separator: " ")
                throw EncryptionConfigurationError(field: "\(field).secret", "Invalid value: \"REDACTED\": secret is not of the expected length, got \(secret.count), expected one of [\(expected)]")
            }
            keys.append(Key(name: name, secret: Array(secret)))
        }
        return keys
    }
}
