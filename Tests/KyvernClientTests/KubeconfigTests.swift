import Foundation
import KyvernAPI
import Testing
@testable import KyvernClient

@Suite struct KubeconfigTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    static let certPEM = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n"
    static let keyPEM = "-----BEGIN EC PRIVATE KEY-----\nKEY\n-----END EC PRIVATE KEY-----\n"

    static func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

    static let yaml = """
        apiVersion: v1
        kind: Config
        current-context: admin@kyvern
        preferences: {}
        clusters:
        - name: kyvern
          cluster:
            server: https://127.0.0.1:6443
            certificate-authority-data: \(b64(caPEM))
            extensions: []
        - name: other
          cluster:
            server: https://10.0.0.1:443
            insecure-skip-tls-verify: true
        contexts:
        - name: admin@kyvern
          context:
            cluster: kyvern
            user: admin
            namespace: team-a
        - name: cert@other
          context:
            cluster: other
            user: cert-user
        users:
        - name: admin
          user:
            token: abc.def
        - name: cert-user
          user:
            client-certificate-data: \(b64(certPEM))
            client-key-data: \(b64(keyPEM))
        """

    @Test func currentContextResolvesClusterAndToken() throws {
        let config = try Kubeconfig.parse(yaml: Self.yaml)
        #expect(config.currentContext == "admin@kyvern")
        #expect(config.namespace() == "team-a")
        let client = try config.configuration(userAgent: "kyvern-scheduler/test")
        #expect(client == ClientConfiguration(server: "https://127.0.0.1:6443", certificateAuthorityPEM: Self.caPEM,
                                              bearerToken: "abc.def", userAgent: "kyvern-scheduler/test"))
    }

    @Test func explicitContextWithClientCertificate() throws {
        let config = try Kubeconfig.parse(yaml: Self.yaml)
        #expect(config.namespace(context: "cert@other") == "default")
        let client = try config.configuration(context: "cert@other")
        #expect(client.server == "https://10.0.0.1:443")
        #expect(client.insecureSkipTLSVerify)
        #expect(client.certificateAuthorityPEM == nil)
        #expect(client.bearerToken == nil)
        #expect(client.clientIdentity == .init(certificatePEM: Self.certPEM, privateKeyPEM: Self.keyPEM))
        #expect(client.userAgent == ClientConfiguration.defaultUserAgent)
    }

    @Test func filesResolveRelativeToTheKubeconfig() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.caPEM.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try "tok-from-file\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try Self.certPEM.write(to: dir.appendingPathComponent("c.crt"), atomically: true, encoding: .utf8)
        try Self.keyPEM.write(to: dir.appendingPathComponent("c.key"), atomically: true, encoding: .utf8)
        let yaml = """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: ca.crt}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {tokenFile: token, client-certificate: c.crt, client-key: \(dir.path)/c.key}}]
            """
        let path = dir.appendingPathComponent("config").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let client = try Kubeconfig.load(path: path).configuration()
        #expect(client.certificateAuthorityPEM == Self.caPEM)
        #expect(client.bearerToken == "tok-from-file")
        #expect(client.clientIdentity == .init(certificatePEM: Self.certPEM, privateKeyPEM: Self.keyPEM))
    }

    @Test func refusesBrokenReferences() throws {
        let config = try Kubeconfig.parse(yaml: Self.yaml)
        #expect(throws: KubeconfigError("context \"nope\" does not exist")) { try config.configuration(context: "nope") }

        let noCurrent = try Kubeconfig.parse(yaml: "clusters: []\ncontexts: []\nusers: []\n")
        #expect(throws: KubeconfigError("kubeconfig has no current-context and no context was given")) {
            try noCurrent.configuration()
        }
        let missingCluster = try Kubeconfig.parse(yaml: """
            current-context: c
            contexts: [{name: c, context: {cluster: gone, user: u}}]
            """)
        #expect(throws: KubeconfigError("cluster \"gone\" of context \"c\" does not exist")) {
            try missingCluster.configuration()
        }
        let keyless = try Kubeconfig.parse(yaml: """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://h:1"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users: [{name: u, user: {client-certificate-data: \(Self.b64(Self.certPEM))}}]
            """)
        #expect(throws: KubeconfigError("user \"u\" has a client certificate without a key or a key without a certificate")) {
            try keyless.configuration()
        }
        #expect(throws: KubeconfigError("cluster \"k\" has no server")) {
            try Kubeconfig.parse(yaml: "clusters: [{name: k, cluster: {}}]")
        }
        #expect(throws: KubeconfigError("kubeconfig is not a mapping")) { try Kubeconfig.parse(yaml: "- a\n- b\n") }
    }
}

@Suite struct UserAgentTests {
    @Test func componentUserAgentHasUpstreamsShape() {
        let agent = UserAgent.make(component: "kyvern-scheduler")
        #if os(Linux) && arch(x86_64)
        #expect(agent == "kyvern/v1.36.0-kyvern (linux/amd64) kyvern-scheduler")
        #endif
        #expect(agent == "kyvern/\(UserAgent.version) (\(UserAgent.os)/\(UserAgent.arch)) kyvern-scheduler")
        let config = ClientConfiguration(server: "https://h:1").withComponent("kyvern-controller-manager")
        #expect(config.userAgent.hasSuffix(") kyvern-controller-manager"))
        #expect(ClientConfiguration.defaultUserAgent == UserAgent.make(component: "kyvern"))
    }

    @Test func configurationFromAKubeconfigPath() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kc-\(UUID().uuidString)").path
        try KubeconfigTests.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try ClientConfiguration(kubeconfigPath: path, component: "kyvern-kubelet")
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.bearerToken == "abc.def")
        #expect(config.userAgent == UserAgent.make(component: "kyvern-kubelet"))
        #expect(try ClientConfiguration(kubeconfigPath: path, context: "cert@other").server == "https://10.0.0.1:443")
    }
}
