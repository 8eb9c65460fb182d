public import Foundation
import KyvernAPI
public import KyvernClient
public import Logging

/// Upstream's kubelet TLS bootstrap: with a credential that may only ask for certificates (the
/// join token), the node sends a `kubernetes.io/kube-apiserver-client-kubelet` request for
/// `system:node:<name>`, waits until the controller manager has approved and signed it, and from
/// then on acts as itself. The same round trip with the node's own certificate renews it.
public struct NodeClientBootstrap: Sendable {
    /// What is asked for and where it is kept: a node's own certificate unless told otherwise
    /// (the node asks the same way for its Ingress controller's, see ``Profile/init(commonName:organization:signerName:fileBase:)``).
    public struct Profile: Sendable {
        public var commonName: String
        public var organization: String
        public var signerName: String
        public var keyFile: String
        public var certificateFile: String
        /// The CertificateSigningRequest's name before its random suffix.
        public var requestPrefix: String

        public init(commonName: String, organization: String, signerName: String, fileBase: String) {
            self.commonName = commonName
            self.organization = organization
            self.signerName = signerName
            keyFile = fileBase + ".key"
            certificateFile = fileBase + ".crt"
            requestPrefix = fileBase + "-csr-"
        }

        static func node(_ nodeName: String) -> Profile {
            var profile = Profile(commonName: NodeClientCertificate.userName(nodeName: nodeName), organization: "system:nodes",
                                  signerName: "kubernetes.io/kube-apiserver-client-kubelet", fileBase: "kubelet-client")
            profile.requestPrefix = "node-csr-"
            return profile
        }
    }

    public var nodeName: String
    public var profile: Profile
    /// Where the key and certificate are kept (`<agent data dir>/pki`).
    public var directory: String
    /// The lifetime asked for; the signer may shorten it (one year, its maximum).
    public var expirationSeconds = 365 * 24 * 3600
    public var pollInterval: Duration = .milliseconds(500)
    public var logger: Logger

    public init(nodeName: String, directory: String, logger: Logger, profile: Profile? = nil) {
        self.nodeName = nodeName
        self.profile = profile ?? .node(nodeName)
        self.directory = directory
        self.logger = logger
    }

    /// The stored certificate when it is still good for this node, else nil.
    public func stored(now: Date = Date()) -> NodeClientCertificate? {
        guard let stored = load(), stored.isUsable(commonName: profile.commonName, now: now) else { return nil }
        return stored
    }

    /// The stored certificate when it has not expired yet (it may still authenticate a renewal).
    public func unexpired(now: Date = Date()) -> NodeClientCertificate? {
        guard let stored = load(), let details = stored.details(), details.commonName == profile.commonName,
              now >= details.notBefore, now < details.notAfter else { return nil }
        return stored
    }

    /// Requests a certificate through `client`, waits for it, stores it and returns it.
    public func request(using client: any KubernetesClient) async throws -> NodeClientCertificate {
        let (requestPEM, keyPEM) = try NodeClientCertificate.makeRequest(commonName: profile.commonName,
                                                                          organization: profile.organization)
        let name = profile.requestPrefix + Self.randomSuffix()
        _ = try await client.create(.certificateSigningRequests, Self.signingRequest(name: name, requestPEM: requestPEM,
                                                                                     expirationSeconds: expirationSeconds,
                                                                                     signerName: profile.signerName))
        logger.info("requested a client certificate; waiting for approval and signing",
                    metadata: ["csr": "\(name)", "user": "\(profile.commonName)"])
        var waited = Duration.zero
        while true {
            try Task.checkCancellation()
            let csr = try await client.get(.certificateSigningRequests, namespace: nil, name: name)
            switch try Self.outcome(of: csr) {
            case .issued(let certificatePEM):
                let certificate = NodeClientCertificate(certificatePEM: certificatePEM, privateKeyPEM: keyPEM)
                try certificate.store(directory: directory, keyFile: profile.keyFile, certificateFile: profile.certificateFile)
                logger.info("client certificate issued", metadata: ["csr": "\(name)", "directory": "\(directory)"])
                return certificate
            case .pending:
                try await Task.sleep(for: pollInterval)
                waited += pollInterval
                if waited.components.seconds % 30 == 0, waited.components.attoseconds == 0 {
                    logger.info("still waiting for the client certificate", metadata: ["csr": "\(name)"])
                }
            }
        }
    }

    /// A CertificateSigningRequest object for a node client certificate.
    static func signingRequest(name: String, requestPEM: String, expirationSeconds: Int,
                               signerName: String = "kubernetes.io/kube-apiserver-client-kubelet") -> JSONValue {
        [
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "metadata": ["name": .string(name)],
            "spec": [
                "request": .string(Data(requestPEM.utf8).base64EncodedString()),
                "signerName": .string(signerName),
                "usages": ["digital signature", "client auth"],
                "expirationSeconds": .int(Int64(expirationSeconds)),
            ],
        ]
    }

    private func load() -> NodeClientCertificate? {
        NodeClientCertificate.load(directory: directory, keyFile: profile.keyFile, certificateFile: profile.certificateFile)
    }

    enum Outcome: Equatable {
        case pending
        case issued(String)
    }

    /// Issued once the signer has put a certificate in; an error when the request was denied or failed.
    static func outcome(of csr: JSONValue) throws -> Outcome {
        for condition in csr[path: ["status", "conditions"]]?.arrayValue ?? []
        where ["Denied", "Failed"].contains(condition["type"]?.stringValue ?? "") && condition["status"]?.stringValue != "False" {
            throw NodeClientBootstrapError(
                message: "certificate signing request \(csr.name ?? "") was \(condition["type"]?.stringValue == "Denied" ? "denied" : "not signed"): "
                    + (condition["message"]?.stringValue ?? condition["reason"]?.stringValue ?? ""))
        }
        let encoded = csr[path: ["status", "certificate"]]?.stringValue ?? ""
        guard !encoded.isEmpty, let data = Data(base64Encoded: encoded), let pem = String(data: data, encoding: .utf8)
        else { return .pending }
        return .issued(pem)
    }

    private static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<12).map { _ in alphabet.randomElement()! })
    }
}

/// Why the node could not obtain its client certificate.
public struct NodeClientBootstrapError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
