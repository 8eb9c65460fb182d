import Foundation
import KyvernAPI

/// `serviceaccounts/<name>/token`: mints a ServiceAccount token (authentication.k8s.io/v1
/// TokenRequest), as upstream's TokenREST does. Nothing is stored: the token is self-contained,
/// and the objects it is bound to are what revoke it.
extension ResourceHandler {
    /// Upstream's floor on `spec.expirationSeconds`, and its ceiling (2^32).
    static let minimumTokenExpiration: Int64 = 600
    static let maximumTokenExpiration: Int64 = 1 << 32
    static let defaultTokenExpiration: Int64 = 3600

    func createToken(_ request: inout ResourceRequest, serviceAccount name: String) async throws -> Reply {
        guard let issuer = tokenIssuer else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let namespace = request.namespace ?? "default"
        let group = "authentication.k8s.io"
        var tokenRequest = try BodyDecoder.decode(request.body, contentType: request.contentType, what: "TokenRequest")
        if tokenRequest.objectValue == nil { tokenRequest = [:] }
        let spec = tokenRequest["spec"] ?? [:]

        if let bodyName = tokenRequest[path: ["metadata", "name"]]?.stringValue, !bodyName.isEmpty, bodyName != name {
            throw APIError.invalid(group: group, kind: "TokenRequest", name: name, causes: [
                .init(type: "FieldValueInvalid", message: "Invalid value: \"\(bodyName)\": must match the service account name if specified",
                      field: "metadata.name")])
        }
        if let bodyNamespace = tokenRequest[path: ["metadata", "namespace"]]?.stringValue, !bodyNamespace.isEmpty,
           bodyNamespace != namespace {
            throw APIError.invalid(group: group, kind: "TokenRequest", name: name, causes: [
                .init(type: "FieldValueInvalid",
                      message: "Invalid value: \"\(bodyNamespace)\": must match the service account namespace if specified",
                      field: "metadata.namespace")])
        }
        try await admitNodeRestriction(request, .create, name: name, object: tokenRequest)
        try await storage.syncCache()
        guard let account = await cache.get(key: StorageKeys.key(request.info, namespace: namespace, name: name))?.object else {
            throw APIError.notFound(group: "", resource: "serviceaccounts", name: name)
        }

        let expiration = spec["expirationSeconds"]?.intValue ?? Self.defaultTokenExpiration
        if expiration < Self.minimumTokenExpiration {
            throw APIError.invalid(group: group, kind: "TokenRequest", name: name, causes: [
                .init(type: "FieldValueInvalid", message: "Invalid value: \(expiration): may not specify a duration less than 10 minutes",
                      field: "spec.expirationSeconds")])
        }
        if expiration > Self.maximumTokenExpiration {
            throw APIError.invalid(group: group, kind: "TokenRequest", name: name, causes: [
                .init(type: "FieldValueInvalid", message: "Invalid value: \(expiration): may not specify a duration larger than 2^32 seconds",
                      field: "spec.expirationSeconds")])
        }
        var audiences = (spec["audiences"]?.arrayValue ?? []).compactMap(\.stringValue)
        if audiences.isEmpty { audiences = issuer.apiAudiences }

        var subject = ServiceAccountTokenIssuer.Subject(
            namespace: namespace,
            serviceAccount: .init(name: name, uid: account[path: ["metadata", "uid"]]?.stringValue ?? ""))
        if let ref = spec["boundObjectRef"], ref.objectValue != nil {
            try await bind(&subject, to: ref, serviceAccount: name)
        }

        let now = Date()
        let token = try issuer.token(for: subject, audiences: audiences, lifetime: expiration, now: now)
        var response = tokenRequest
        response["kind"] = "TokenRequest"
        response["apiVersion"] = .string("\(group)/v1")
        var metadata = response["metadata"]?.objectValue ?? [:]
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        metadata["creationTimestamp"] = .string(Timestamp.format(now))
        response["metadata"] = .object(metadata)
        var outSpec = spec.objectValue ?? [:]
        outSpec["audiences"] = .array(audiences.map { .string($0) })
        outSpec["expirationSeconds"] = .int(expiration)
        if outSpec["boundObjectRef"] == .null { outSpec["boundObjectRef"] = nil }
        response["spec"] = .object(outSpec)
        response["status"] = [
            "token": .string(token),
            "expirationTimestamp": .string(Timestamp.format(now.addingTimeInterval(TimeInterval(expiration)))),
        ]
        return .object(response, status: 201)
    }

    /// Fills the token's binding to a Pod, Secret or Node, which must exist with the given uid.
    private func bind(_ subject: inout ServiceAccountTokenIssuer.Subject, to ref: JSONValue, serviceAccount: String) async throws {
        let kind = ref["kind"]?.stringValue ?? ""
        let apiVersion = ref["apiVersion"]?.stringValue ?? ""
        let name = ref["name"]?.stringValue ?? ""
        let resource: String
        switch (apiVersion, kind) {
        case ("v1", "Pod"): resource = "pods"
        case ("v1", "Secret"): resource = "secrets"
        case ("v1", "Node"): resource = "nodes"
        default:
            let gvk = apiVersion.contains("/") ? apiVersion : "/\(apiVersion)"
            throw APIError.badRequest("cannot bind token to object of type \(gvk), Kind=\(kind)")
        }
        let info = ResourceCatalog.find(group: "", version: "v1", resource: resource)!
        let key = StorageKeys.key(info, namespace: subject.namespace, name: name)
        guard let object = await cache.get(key: key)?.object else {
            throw APIError.notFound(group: "", resource: resource, name: name)
        }
        let uid = object[path: ["metadata", "uid"]]?.stringValue ?? ""
        switch resource {
        case "pods":
            let podAccount = object[path: ["spec", "serviceAccountName"]]?.stringValue ?? ""
            guard podAccount == serviceAccount else {
                throw APIError.badRequest("cannot bind token for serviceaccount \"\(serviceAccount)\" to pod running with different serviceaccount name.")
            }
            subject.pod = .init(name: name, uid: uid)
            if let nodeName = object[path: ["spec", "nodeName"]]?.stringValue, !nodeName.isEmpty,
               let nodeInfo = ResourceCatalog.find(group: "", version: "v1", resource: "nodes"),
               let node = await cache.get(key: StorageKeys.key(nodeInfo, namespace: nil, name: nodeName))?.object {
                subject.node = .init(name: nodeName, uid: node[path: ["metadata", "uid"]]?.stringValue ?? "")
            }
        case "secrets":
            subject.secret = .init(name: name, uid: uid)
        default:
            subject.node = .init(name: name, uid: uid)
        }
        if let claimed = ref["uid"]?.stringValue, !claimed.isEmpty, claimed != uid {
            throw APIError.conflict(group: "", resource: kind, name: name,
                                    reason: "the UID in the bound object reference (\(claimed)) does not match the UID in record. The object might have been deleted and then recreated")
        }
    }
}
