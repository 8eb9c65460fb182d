import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Upstream's csrsigning controller for the `kubernetes.io/kube-apiserver-client` and
/// `kubernetes.io/kube-apiserver-client-kubelet` signers: an approved request with client-auth
/// usages gets a certificate from the cluster CA, valid for its `expirationSeconds` (at most the
/// signing duration); a request the signer cannot honour (for the kubelet signer also one that
/// names no single node, see ``KubeletClientRequest``) gets a `Failed` condition instead. Kyvern's
/// `kyvern.io/ingress-client` signer is served the same way, for exactly the subject
/// ``IngressClientRequest`` allows.
struct CertificateSigningController: Reconciler {
    static let name = "csrsigning"
    static let signerName = "kubernetes.io/kube-apiserver-client"
    static let signerNames: Set<String> = [signerName, KubeletClientRequest.signerName, IngressClientRequest.signerName]
    static let allowedUsages: Set<String> = ["digital signature", "key encipherment", "client auth"]

    let client: any KubernetesClient
    let requests: any ObjectCache
    let signer: any CertificateSigner
    /// Upstream's `--cluster-signing-duration` (one year).
    let maximumValidity: TimeInterval
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        guard let csr = await requests.get(namespace: nil, name: key.name),
              let signerName = csr[path: ["spec", "signerName"]]?.stringValue, Self.signerNames.contains(signerName),
              (csr[path: ["status", "certificate"]]?.stringValue ?? "").isEmpty else { return }
        let conditions = csr[path: ["status", "conditions"]]?.arrayValue ?? []
        func has(_ type: String) -> Bool {
            conditions.contains { $0["type"]?.stringValue == type && $0["status"]?.stringValue != "False" }
        }
        guard has("Approved"), !has("Denied"), !has("Failed") else { return }

        let usages = csr[path: ["spec", "usages"]]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !usages.contains("client auth") || !Set(usages).isSubset(of: Self.allowedUsages) {
            let invalid = usages.filter { !Self.allowedUsages.contains($0) }
            try await fail(csr, message: invalid.isEmpty ? "missing required usages: [client auth]"
                                                          : "invalid usages: [\(invalid.joined(separator: " "))]")
            return
        }
        let encoded = csr[path: ["spec", "request"]]?.stringValue ?? ""
        guard let pem = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }) else {
            try await fail(csr, message: "the request is not base64-encoded PEM")
            return
        }
        if signerName != Self.signerName {
            guard let subject = CertificateRequestSubject(pem: pem) else {
                try await fail(csr, message: "the certificate request does not parse")
                return
            }
            let problem = signerName == KubeletClientRequest.signerName
                ? KubeletClientRequest.validationError(subject, usages: usages)
                : IngressClientRequest.validationError(subject, usages: usages)
            if let message = problem {
                try await fail(csr, message: message)
                return
            }
        }
        var validity = maximumValidity
        if let seconds = csr[path: ["spec", "expirationSeconds"]]?.intValue {
            validity = min(validity, TimeInterval(max(seconds, 600)))
        }
        let certificate: String
        do {
            certificate = try signer.signClientCertificate(requestPEM: pem, validity: validity)
        } catch {
            try await fail(csr, message: "\(error)")
            return
        }
        var updated = csr
        updated[path: ["status", "certificate"]] = .string(Data(certificate.utf8).base64EncodedString())
        logger.info("signed certificate", metadata: ["csr": "\(key.name)",
                                                     "user": "\(csr[path: ["spec", "username"]]?.stringValue ?? "")"])
        _ = try await client.updateStatus(.certificateSigningRequests, updated)
    }

    private func fail(_ csr: JSONValue, message: String) async throws {
        var updated = csr
        var conditions = csr[path: ["status", "conditions"]]?.arrayValue ?? []
        let now = Timestamp.format(Date())
        conditions.append(["type": "Failed", "status": "True", "reason": "SignerValidationFailure",
                           "message": .string(message), "lastUpdateTime": .string(now), "lastTransitionTime": .string(now)])
        updated[path: ["status", "conditions"]] = .array(conditions)
        logger.info("refused to sign", metadata: ["csr": "\(csr.name ?? "")", "reason": "\(message)"])
        _ = try await client.updateStatus(.certificateSigningRequests, updated)
    }

    /// The controller, signing with `signer` (only a controller manager given the CA has it).
    static func definition(signer: any CertificateSigner, maximumValidity: TimeInterval = 365 * 24 * 3600) -> ControllerDefinition {
        ControllerDefinition(name: name, aliases: ["csrsigning-controller"]) { context in
            let informer = await context.informer(for: .certificateSigningRequests)
            let queue = context.makeQueue()
            await informer.addHandler { event in
                if case .deleted = event { return }
                await queue.add(ObjectKey(namespace: nil, name: event.object.name ?? ""))
            }
            let controller = CertificateSigningController(client: context.client, requests: informer.lister, signer: signer,
                                                          maximumValidity: maximumValidity, logger: context.logger)
            return context.runner(controller, queue: queue)
        }
    }
}

extension ControllerDefinition {
    /// The csrsigning controller for the `kubernetes.io/kube-apiserver-client` and
    /// `kubernetes.io/kube-apiserver-client-kubelet` signers.
    public static func certificateSigning(signer: any CertificateSigner) -> ControllerDefinition {
        CertificateSigningController.definition(signer: signer)
    }
}
