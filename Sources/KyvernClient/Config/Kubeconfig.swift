import Foundation
import Yams

/// The parts of a kubeconfig file a component needs: which context is current, and that
/// context's cluster (server, CA) and user (token or client certificate).
///
/// Parsed from YAML into plain dictionaries rather than Codable types, because kubeconfig files
/// carry many fields (exec plugins, extensions, proxies) this client ignores and must not reject.
public struct Kubeconfig: Sendable {
    /// The directory relative file paths (`certificate-authority`, `token-file`, ...) resolve against.
    public var baseDirectory: String
    /// The context used when none is named.
    public var currentContext: String?
    /// Contexts by name.
    public var contexts: [String: Context]
    /// Clusters by name.
    public var clusters: [String: Cluster]
    /// Users (credentials) by name.
    public var users: [String: User]

    /// Which cluster, as which user, in which default namespace.
    public struct Context: Sendable, Hashable {
        public var cluster: String
        public var user: String?
        public var namespace: String?
    }

    /// A server and how to trust it; `*Data` fields are base64, the others file paths.
    public struct Cluster: Sendable, Hashable {
        public var server: String
        public var certificateAuthorityData: String?
        public var certificateAuthority: String?
        public var insecureSkipTLSVerify: Bool
        public var tlsServerName: String?
    }

    /// Credentials: a token (inline or in a file) and/or a client certificate and key.
    public struct User: Sendable, Hashable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificateData: String?
        public var clientCertificate: String?
        public var clientKeyData: String?
        public var clientKey: String?
    }

    /// Reads and parses the file at `path`; relative paths inside resolve against its directory.
    public static func load(path: String) throws -> Kubeconfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeconfigError("cannot read kubeconfig \(path): \(error)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, baseDirectory: directory.isEmpty ? "." : directory)
    }

    /// Parses kubeconfig YAML; relative file paths inside resolve against `baseDirectory`.
    public static func parse(yaml: String, baseDirectory: String = ".") throws -> Kubeconfig {
        let root: Any?
        do {
            root = try Yams.load(yaml: yaml)
        } catch {
            throw KubeconfigError("kubeconfig is not valid YAML: \(error)")
        }
        guard let top = root as? [String: Any] else { throw KubeconfigError("kubeconfig is not a mapping") }

        var contexts: [String: Context] = [:]
        for (name, body) in try namedEntries(top, "contexts", inner: "context") {
            guard let cluster = string(body["cluster"]) else {
                throw KubeconfigError("context \"\(name)\" names no cluster")
            }
            contexts[name] = Context(cluster: cluster, user: string(body["user"]), namespace: string(body["namespace"]))
        }
        var clusters: [String: Cluster] = [:]
        for (name, body) in try namedEntries(top, "clusters", inner: "cluster") {
            guard let server = string(body["server"]), !server.isEmpty else {
                throw KubeconfigError("cluster \"\(name)\" has no server")
            }
            clusters[name] = Cluster(
                server: server,
                certificateAuthorityData: string(body["certificate-authority-data"]),
                certificateAuthority: string(body["certificate-authority"]),
                insecureSkipTLSVerify: (body["insecure-skip-tls-verify"] as? Bool) ?? false,
                tlsServerName: string(body["tls-server-name"]))
        }
        var users: [String: User] = [:]
        for (name, body) in try namedEntries(top, "users", inner: "user") {
            users[name] = User(
                token: string(body["token"]), tokenFile: string(body["tokenFile"]),
                clientCertificateData: string(body["client-certificate-data"]),
                clientCertificate: string(body["client-certificate"]),
                clientKeyData: string(body["client-key-data"]), clientKey: string(body["client-key"]))
        }
        let current = string(top["current-context"]).flatMap { $0.isEmpty ? nil : $0 }
        return Kubeconfig(baseDirectory: baseDirectory, currentContext: current, contexts: contexts,
                          clusters: clusters, users: users)
    }

    /// The namespace of the chosen context, `default` when it names none (as kubectl does).
    public func namespace(context: String? = nil) -> String {
        guard let name = context ?? currentContext, let ctx = contexts[name],
              let ns = ctx.namespace, !ns.isEmpty else { return "default" }
        return ns
    }

    /// Resolves `context` (or the current context) into a connection configuration, reading
    /// referenced files and decoding the base64 `*-data` fields.
    public func configuration(context: String? = nil,
                              userAgent: String = ClientConfiguration.defaultUserAgent) throws -> ClientConfiguration {
        guard let name = context ?? currentContext else {
            throw KubeconfigError("kubeconfig has no current-context and no context was given")
        }
        guard let ctx = contexts[name] else { throw KubeconfigError("context \"\(name)\" does not exist") }
        guard let cluster = clusters[ctx.cluster] else {
            throw KubeconfigError("cluster \"\(ctx.cluster)\" of context \"\(name)\" does not exist")
        }
        var config = ClientConfiguration(server: cluster.server, insecureSkipTLSVerify: cluster.insecureSkipTLSVerify,
                                         tlsServerName: cluster.tlsServerName, userAgent: userAgent)
        if let data = cluster.certificateAuthorityData {
            config.certificateAuthorityPEM = try decodeBase64(data, field: "certificate-authority-data")
        } else if let file = cluster.certificateAuthority {
            config.certificateAuthorityPEM = try readFile(file)
        }
        if let userName = ctx.user, !userName.isEmpty {
            guard let user = users[userName] else {
                throw KubeconfigError("user \"\(userName)\" of context \"\(name)\" does not exist")
            }
            if let token = user.token, !token.isEmpty {
                config.bearerToken = token
            } else if let file = user.tokenFile {
                config.bearerToken = try readFile(file).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let cert = try user.clientCertificateData.map { try decodeBase64($0, field: "client-certificate-data") }
                ?? user.clientCertificate.map(readFile)
            let key = try user.clientKeyData.map { try decodeBase64($0, field: "client-key-data") }
                ?? user.clientKey.map(readFile)
            switch (cert, key) {
            case let (cert?, key?):
                config.clientIdentity = .init(certificatePEM: cert, privateKeyPEM: key)
            case (nil, nil):
                break
            default:
                throw KubeconfigError("user \"\(userName)\" has a client certificate without a key or a key without a certificate")
            }
        }
        return config
    }

    private func readFile(_ path: String) throws -> String {
        let full = path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
        do {
            return try String(contentsOfFile: full, encoding: .utf8)
        } catch {
            throw KubeconfigError("cannot read \(full): \(error)")
        }
    }

    private func decodeBase64(_ text: String, field: String) throws -> String {
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact), let string = String(data: data, encoding: .utf8) else {
            throw KubeconfigError("\(field) is not valid base64")
        }
        return string
    }

    /// `clusters: [{name: x, cluster: {...}}]` as (name, body) pairs.
    private static func namedEntries(_ top: [String: Any], _ key: String,
                                     inner: String) throws -> [(String, [String: Any])] {
        guard let value = top[key], !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else { throw KubeconfigError("\(key) is not a list") }
        return try list.map { item in
            guard let entry = item as? [String: Any], let name = string(entry["name"]) else {
                throw KubeconfigError("an entry of \(key) has no name")
            }
            return (name, (entry[inner] as? [String: Any]) ?? [:])
        }
    }

    private static func string(_ value: Any?) -> String? {
        switch value {
        case let s as String: s
        case let i as Int: String(i)
        default: nil
        }
    }
}
