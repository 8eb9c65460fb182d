import Foundation
import KyvernAPI
import KyvernClient

/// The keys of a ConfigMap or Secret, decoded: ConfigMap `data` as text, ConfigMap `binaryData`
/// and Secret `data` from base64.
struct ConfigSourceData: Sendable {
    /// ConfigMap `data`; for a Secret, every key decoded (as upstream turns secret bytes into env).
    var text: [String: String] = [:]
    /// Every key's bytes: ConfigMap `data` + `binaryData`, or Secret `data`.
    var bytes: [String: [UInt8]] = [:]

    init() {}

    init(configMap: JSONValue) {
        for (key, value) in configMap["data"]?.objectValue ?? [:] {
            let string = value.stringValue ?? ""
            text[key] = string
            bytes[key] = Array(string.utf8)
        }
        for (key, value) in configMap["binaryData"]?.objectValue ?? [:] where bytes[key] == nil {
            bytes[key] = Self.decode(value)
        }
    }

    init(secret: JSONValue) {
        for (key, value) in secret["data"]?.objectValue ?? [:] {
            let decoded = Self.decode(value)
            bytes[key] = decoded
            text[key] = String(decoding: decoded, as: UTF8.self)
        }
        // A server that has not folded `stringData` into `data` yet (upstream always has).
        for (key, value) in secret["stringData"]?.objectValue ?? [:] {
            let string = value.stringValue ?? ""
            bytes[key] = Array(string.utf8)
            text[key] = string
        }
    }

    private static func decode(_ value: JSONValue) -> [UInt8] {
        guard let text = value.stringValue, let data = Data(base64Encoded: text) else { return [] }
        return Array(data)
    }
}

/// Reads ConfigMaps and Secrets in the pod's namespace and words a missing one as upstream's
/// kubelet does (`configmap "x" not found`, `secret "x" not found`: its caches name the resource
/// in the singular).
struct ConfigSourceReader: Sendable {
    enum Kind: String, Sendable {
        case configMap = "configmap"
        case secret = "secret"
    }

    let client: any KubernetesClient

    /// The object's keys, or nil when it does not exist; other failures are thrown as they came.
    func read(_ kind: Kind, namespace: String, name: String) async throws -> ConfigSourceData? {
        do {
            switch kind {
            case .configMap:
                return ConfigSourceData(configMap: try await client.get(.configMaps, namespace: namespace, name: name))
            case .secret:
                return ConfigSourceData(secret: try await client.get(.secrets, namespace: namespace, name: name))
            }
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// The message for a missing object.
    static func notFound(_ kind: Kind, _ name: String) -> String {
        "\(kind.rawValue) \"\(name)\" not found"
    }
}
