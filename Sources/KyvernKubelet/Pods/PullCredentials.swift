import Foundation
import KyvernAPI
import KyvernRuntime

/// Registry credentials from a pod's `imagePullSecrets` (`kubernetes.io/dockerconfigjson` and the
/// older `kubernetes.io/dockercfg`), matched to the registry an image reference names.
enum PullCredentials {
    /// The registry host of `reference`: its first component when that looks like a host
    /// (has a dot or a port, or is localhost), else Docker Hub.
    static func registry(of reference: String) -> String {
        let first = reference.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard reference.contains("/"), first.contains(".") || first.contains(":") || first == "localhost" else {
            return "docker.io"
        }
        return first
    }

    /// `https://host/v1/` and `host/path` keys reduced to the host, Docker Hub's aliases to docker.io.
    static func normalise(_ key: String) -> String {
        var host = key
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host.removeFirst(scheme.count) }
        host = String(host.split(separator: "/").first ?? "")
        return ["index.docker.io", "registry-1.docker.io"].contains(host) ? "docker.io" : host
    }

    /// Every credential in `secrets` (objects) that applies to `reference`'s registry.
    static func credentials(for reference: String, secrets: [JSONValue]) -> [RegistryCredential] {
        let registry = registry(of: reference)
        var found: [RegistryCredential] = []
        for secret in secrets {
            let entries: [String: JSONValue]
            switch secret["type"]?.stringValue {
            case "kubernetes.io/dockerconfigjson":
                guard let config = decode(secret[path: ["data", ".dockerconfigjson"]]) else { continue }
                entries = config["auths"]?.objectValue ?? [:]
            case "kubernetes.io/dockercfg":
                entries = decode(secret[path: ["data", ".dockercfg"]])?.objectValue ?? [:]
            default:
                continue
            }
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) where normalise(key) == registry {
                if let credential = credential(entry, registry: registry) { found.append(credential) }
            }
        }
        return found
    }

    static func credential(_ entry: JSONValue, registry: String) -> RegistryCredential? {
        if let user = entry["username"]?.stringValue, !user.isEmpty {
            return RegistryCredential(registry: registry, username: user, password: entry["password"]?.stringValue ?? "")
        }
        guard let auth = entry["auth"]?.stringValue, let data = Data(base64Encoded: auth) else { return nil }
        let pair = String(decoding: data, as: UTF8.self).split(separator: ":", maxSplits: 1).map(String.init)
        guard pair.count == 2 else { return nil }
        return RegistryCredential(registry: registry, username: pair[0], password: pair[1])
    }

    private static func decode(_ value: JSONValue?) -> JSONValue? {
        guard let text = value?.stringValue, let data = Data(base64Encoded: text) else { return nil }
        return try? JSONValue.parse(Array(data))
    }
}
