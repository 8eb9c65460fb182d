import Foundation

/// Writes the kubeconfig with which `kubectl` (or any client) reaches this server as the admin.
///
/// The file is `<data directory>/kubeconfig.yaml`, mode 0600, rewritten on every start because the
/// address or port may have changed. It names one cluster, one user and one context, all current:
///
/// ```yaml
/// clusters: [{name: kyvern, cluster: {server: https://127.0.0.1:6443, certificate-authority-data: …}}]
/// users:    [{name: admin, user: {token: …}}]
/// contexts: [{name: kyvern, context: {cluster: kyvern, user: admin}}]
/// current-context: kyvern
/// ```
public enum KubeconfigWriter {
    /// The file name inside the data directory.
    public static let fileName = "kubeconfig.yaml"
    public static let clusterName = "kyvern"
    public static let userName = "admin"
    public static let contextName = "kyvern"

    /// Writes the admin kubeconfig for `pki` and returns its path.
    ///
    /// - Parameters:
    ///   - dataDirectory: the server's data directory; created (0700) if missing.
    ///   - host: the address the server listens on. An unspecified address (`0.0.0.0`, `::`, empty)
    ///     becomes the matching loopback address, which the serving certificate always covers.
    ///   - port: the HTTPS port.
    @discardableResult
    public static func write(dataDirectory: String, host: String, port: Int, pki: ClusterPKI) throws -> String {
        try Self.write(
            dataDirectory: dataDirectory,
            server: Self.serverURL(host: host, port: port),
            caCertificatePEM: pki.caCertificatePEM,
            token: pki.adminToken
        )
    }

    /// Writes a kubeconfig for any server URL, CA and token, and returns its path.
    @discardableResult
    public static func write(dataDirectory: String, server: String, caCertificatePEM: String, token: String) throws -> String {
        try PKIFileStore.ensureDirectory(dataDirectory)
        let path = PKIFileStore.join(dataDirectory, Self.fileName)
        let text = Self.render(server: server, caCertificatePEM: caCertificatePEM, token: token)
        try PKIFileStore.writeText(text, to: path, mode: PKIFileStore.privateMode)
        return path
    }

    /// `https://host:port`, with brackets around an IPv6 address and loopback for an unspecified one.
    public static func serverURL(host: String, port: Int) -> String {
        var host = host
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        switch host {
        case "", "0.0.0.0", "*": host = "127.0.0.1"
        case "::", "0:0:0:0:0:0:0:0": host = "::1"
        default: break
        }
        return host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
    }

    /// The kubeconfig document. Strings are written as JSON-style double-quoted YAML scalars.
    public static func render(server: String, caCertificatePEM: String, token: String) -> String {
        let caData = Data(caCertificatePEM.utf8).base64EncodedString()
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: \(Self.quoted(Self.clusterName))
              cluster:
                server: \(Self.quoted(server))
                certificate-authority-data: \(Self.quoted(caData))
            users:
            - name: \(Self.quoted(Self.userName))
              user:
                token: \(Self.quoted(token))
            contexts:
            - name: \(Self.quoted(Self.contextName))
              context:
                cluster: \(Self.quoted(Self.clusterName))
                user: \(Self.quoted(Self.userName))
            current-context: \(Self.quoted(Self.contextName))
            preferences: {}

            """
    }

    /// A YAML double-quoted scalar (escapes `\`, `"` and control characters).
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
