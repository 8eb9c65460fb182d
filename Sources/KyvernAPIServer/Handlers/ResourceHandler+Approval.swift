import Foundation
import KyvernAPI

/// CertificateSigningRequests as upstream keeps them: a new request records who made it, only the
/// `approval` subresource sets Approved or Denied (and only for a user allowed to `approve` the
/// request's signer), and the `status` subresource (the signer's) cannot change the approval.
extension ResourceHandler {
    static func isCertificateRequest(_ info: ResourceInfo) -> Bool {
        info.group == "certificates.k8s.io" && info.resource == "certificatesigningrequests"
    }

    /// A new request: the requester's identity goes into the spec, whatever the body said, and the
    /// request must hold a PEM `CERTIFICATE REQUEST`.
    func admitCertificateRequestCreate(_ object: inout JSONValue, info: ResourceInfo, user: UserInfo) throws {
        guard Self.isCertificateRequest(info) else { return }
        object[path: ["spec", "username"]] = .string(user.name)
        object[path: ["spec", "uid"]] = user.uid.isEmpty ? nil : .string(user.uid)
        object[path: ["spec", "groups"]] = .array(user.groups.map { .string($0) })
        object[path: ["spec", "extra"]] = user.extra.isEmpty ? nil : .object(user.extra.mapValues { .array($0.map { .string($0) }) })
        object["status"] = [:]
        let encoded = object[path: ["spec", "request"]]?.stringValue ?? ""
        let pem = Data(base64Encoded: encoded).flatMap { String(data: $0, encoding: .utf8) } ?? ""
        guard pem.contains("-----BEGIN CERTIFICATE REQUEST-----") else {
            throw APIError.invalid(group: info.group, kind: info.kind, name: object[path: ["metadata", "name"]]?.stringValue ?? "",
                                   causes: [.init(type: "FieldValueInvalid",
                                                  message: "Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST",
                                                  field: "spec.request")])
        }
    }

    // MARK: approval

    func approval(_ request: inout ResourceRequest, name: String, verb: String) async throws -> Reply {
        let info = request.info
        if verb != "get" {
            // The signer cannot change, so the check made on the current request holds for the write.
            guard let current = try await storage.read(key: key(request, name: name)) else {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            }
            try await requireApprover(request.user, of: current.object)
        }
        let merge: @Sendable (JSONValue, JSONValue) throws -> JSONValue = { [self] new, current in
            var merged = try self.mergeForUpdate(new: new, current: current, info: info, statusOnly: true)
            // Only the conditions are the approver's; the certificate stays the signer's.
            merged["status"] = current["status"] ?? [:]
            merged[path: ["status", "conditions"]] = new[path: ["status", "conditions"]]
            return merged
        }
        switch verb {
        case "get":
            return try await get(request, name: name)
        case "update":
            var object = try decodeObject(&request, kind: info.kind, groupVersion: info.groupVersion, definition: info.definition)
            try checkName(object, name: name)
            try reconcileNamespace(&object, request)
            let candidate = object
            return try await writeUpdate(request, name: name) { current in try merge(candidate, current) }
        default:
            guard let patchType = PatchType(contentType: request.contentType), patchType != .apply else {
                throw APIError.unsupportedMediaType(request.contentType ?? "")
            }
            return try await applyingPatch(&request, type: patchType, as: info,
                                           write: { try await writeUpdate($0, name: name, transform: $1) }) { patched, current in
                try merge(patched, current)
            }
        }
    }

    /// Upstream's CertificateApproval admission: `approve` on `signers` named by the signer or its domain.
    private func requireApprover(_ user: UserInfo, of csr: JSONValue) async throws {
        guard let authorizer else { return }
        let signer = csr[path: ["spec", "signerName"]]?.stringValue ?? ""
        let domain = signer.split(separator: "/").first.map { "\($0)/*" } ?? signer
        for name in [signer, domain] {
            let attributes = AuthorizationAttributes(user: user, verb: "approve", apiGroup: "certificates.k8s.io",
                                                     resource: "signers", name: name)
            if await authorizer.authorize(attributes).allowed { return }
        }
        throw ForbiddenError.forbidden(group: "certificates.k8s.io", resource: "certificatesigningrequests",
                                       name: csr[path: ["metadata", "name"]]?.stringValue ?? "",
                                       "user not permitted to approve requests with signerName \"\(signer)\"")
    }
}
