import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Upstream's csrapproving controller: a `kubernetes.io/kube-apiserver-client-kubelet` request
/// for a node's client certificate is approved when its requester may `create`
/// `certificatesigningrequests/nodeclient` (a bootstrapper's first certificate) or, for a node
/// renewing its own, `certificatesigningrequests/selfnodeclient`. The API decides through a
/// SubjectAccessReview, so the cluster's RBAC is the only policy. Kyvern's own
/// `kyvern.io/ingress-client` requests (see ``IngressClientRequest``) are approved the same way
/// when a node asks for its own Ingress controller's certificate.
struct CertificateApprovingController: Reconciler {
    static let name = "csrapproving"
    static let subjectAccessReviews = ResourceRef(group: "authorization.k8s.io", version: "v1",
                                                  resource: "subjectaccessreviews", namespaced: false)

    let client: any KubernetesClient
    let requests: any ObjectCache
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        guard let csr = await requests.get(namespace: nil, name: key.name),
              let signer = csr[path: ["spec", "signerName"]]?.stringValue,
              [KubeletClientRequest.signerName, IngressClientRequest.signerName].contains(signer),
              (csr[path: ["status", "certificate"]]?.stringValue ?? "").isEmpty else { return }
        let conditions = csr[path: ["status", "conditions"]]?.arrayValue ?? []
        guard !conditions.contains(where: { ["Approved", "Denied"].contains($0["type"]?.stringValue ?? "") }) else { return }
        let encoded = csr[path: ["spec", "request"]]?.stringValue ?? ""
        guard let pem = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }),
              let subject = CertificateRequestSubject(pem: pem) else {
            logger.info("unable to parse csr", metadata: ["csr": "\(key.name)"])
            return
        }
        let usages = csr[path: ["spec", "usages"]]?.arrayValue?.compactMap(\.stringValue) ?? []
        let requester = csr[path: ["spec", "username"]]?.stringValue ?? ""
        if signer == IngressClientRequest.signerName {
            guard IngressClientRequest.isSelfRequest(subject, usages: usages, requester: requester) else { return }
            let review = try await client.create(Self.subjectAccessReviews,
                                                 Self.review(of: csr, subresource: IngressClientRequest.permission))
            guard review[path: ["status", "allowed"]]?.boolValue == true else {
                logger.info("recognized csr as [\(IngressClientRequest.permission)] but subject access review was not approved",
                            metadata: ["csr": "\(key.name)"])
                return
            }
            try await approve(csr, message: IngressClientRequest.approvalMessage)
            logger.info("approved node ingress client certificate request", metadata: [
                "csr": "\(key.name)", "user": "\(subject.commonName)", "requester": "\(requester)",
            ])
            return
        }
        let permissions = KubeletClientRequest.permissions(for: subject, usages: usages, requester: requester)
        for permission in permissions {
            let review = try await client.create(Self.subjectAccessReviews, Self.review(of: csr, permission: permission))
            guard review[path: ["status", "allowed"]]?.boolValue == true else { continue }
            try await approve(csr, message: permission.approvalMessage)
            logger.info("approved node client certificate request", metadata: [
                "csr": "\(key.name)", "user": "\(subject.commonName)", "requester": "\(requester)",
                "permission": "\(permission.rawValue)",
            ])
            return
        }
        if !permissions.isEmpty {
            logger.info("recognized csr as \(permissions.map(\.rawValue)) but subject access review was not approved",
                        metadata: ["csr": "\(key.name)"])
        }
    }

    private func approve(_ csr: JSONValue, message: String) async throws {
        let approved = Self.approving(csr, message: message, now: Date())
        _ = try await client.updateSubresource(.certificateSigningRequests, namespace: nil, name: csr.name ?? "",
                                               subresource: "approval", approved, options: .init())
    }

    /// A SubjectAccessReview asking whether the requester may `create` the permission's subresource.
    static func review(of csr: JSONValue, permission: KubeletClientRequest.Permission) -> JSONValue {
        review(of: csr, subresource: permission.rawValue)
    }

    /// A SubjectAccessReview asking whether the requester may `create` `certificatesigningrequests/<subresource>`.
    static func review(of csr: JSONValue, subresource: String) -> JSONValue {
        var spec: JSONValue = [
            "user": csr[path: ["spec", "username"]] ?? "",
            "groups": csr[path: ["spec", "groups"]] ?? [],
            "resourceAttributes": [
                "group": "certificates.k8s.io", "resource": "certificatesigningrequests",
                "subresource": .string(subresource), "verb": "create",
            ],
        ]
        if let uid = csr[path: ["spec", "uid"]] { spec["uid"] = uid }
        if let extra = csr[path: ["spec", "extra"]] { spec["extra"] = extra }
        return ["apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec]
    }

    /// The request with upstream's `Approved` condition appended.
    static func approving(_ csr: JSONValue, message: String, now: Date) -> JSONValue {
        var updated = csr
        var conditions = csr[path: ["status", "conditions"]]?.arrayValue ?? []
        let time = Timestamp.format(now)
        conditions.append(["type": "Approved", "status": "True", "reason": "AutoApproved", "message": .string(message),
                           "lastUpdateTime": .string(time), "lastTransitionTime": .string(time)])
        updated[path: ["status", "conditions"]] = .array(conditions)
        return updated
    }

    static var definition: ControllerDefinition {
        ControllerDefinition(name: name, aliases: ["csrapproving-controller"]) { context in
            let informer = await context.informer(for: .certificateSigningRequests)
            let queue = context.makeQueue()
            await informer.addHandler { event in
                if case .deleted = event { return }
                await queue.add(ObjectKey(namespace: nil, name: event.object.name ?? ""))
            }
            let controller = CertificateApprovingController(client: context.client, requests: informer.lister,
                                                            logger: context.logger)
            return context.runner(controller, queue: queue)
        }
    }
}
