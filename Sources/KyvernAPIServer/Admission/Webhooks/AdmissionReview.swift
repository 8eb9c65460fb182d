import Foundation
import KyvernAPI

/// The AdmissionReview sent to a webhook and the checks upstream makes on the one it answers.
enum AdmissionReview {
    /// What a webhook decided, once its answer passed the checks.
    struct Verdict: Sendable, Equatable {
        var allowed: Bool
        var status: JSONValue?
        /// JSON Patch operations (mutating webhooks only).
        var patch: [JSONValue]?
        var warnings: [String]
    }

    /// The request body in `version` (`v1` or `v1beta1`: the same shape, another apiVersion).
    static func request(_ attributes: AdmissionAttributes, uid: String, version: String) -> JSONValue {
        let requested = attributes.requestVersion ?? attributes.version
        let kindGroup = JSONValue.string(attributes.kindGroup ?? attributes.group)
        let kindVersion = attributes.kindVersion
        var request: [String: JSONValue] = [
            "uid": .string(uid),
            "kind": ["group": kindGroup, "version": .string(kindVersion ?? attributes.version),
                     "kind": .string(attributes.kind)],
            "resource": ["group": .string(attributes.group), "version": .string(attributes.version),
                         "resource": .string(attributes.resource)],
            "requestKind": ["group": kindGroup, "version": .string(kindVersion ?? requested),
                            "kind": .string(attributes.kind)],
            "requestResource": ["group": .string(attributes.group), "version": .string(requested),
                                "resource": .string(attributes.resource)],
            "operation": .string(attributes.operation.rawValue),
            "userInfo": userInfo(attributes.user),
            "object": attributes.object ?? .null,
            "oldObject": attributes.oldObject ?? .null,
            "dryRun": .bool(attributes.dryRun),
        ]
        if !attributes.subresource.isEmpty {
            request["subResource"] = .string(attributes.subresource)
            request["requestSubResource"] = .string(attributes.subresource)
        }
        if !attributes.name.isEmpty { request["name"] = .string(attributes.name) }
        if !attributes.namespace.isEmpty { request["namespace"] = .string(attributes.namespace) }
        if attributes.operation != .connect {
            var options = attributes.options?.objectValue ?? [:]
            options["apiVersion"] = "meta.k8s.io/v1"
            options["kind"] = .string(attributes.operation.optionsKind)
            request["options"] = .object(options)
        }
        return ["apiVersion": .string("admission.k8s.io/\(version)"), "kind": "AdmissionReview",
                "request": .object(request)]
    }

    static func userInfo(_ user: UserInfo) -> JSONValue {
        var info: [String: JSONValue] = ["username": .string(user.name)]
        if !user.uid.isEmpty { info["uid"] = .string(user.uid) }
        if !user.groups.isEmpty { info["groups"] = .array(user.groups.map(JSONValue.string)) }
        if !user.extra.isEmpty {
            info["extra"] = .object(user.extra.mapValues { .array($0.map(JSONValue.string)) })
        }
        return .object(info)
    }

    /// Upstream's `VerifyAdmissionResponse`: the answer must be an AdmissionReview of the version
    /// sent, for this request's uid, with a patch only from a mutating webhook and only as JSONPatch.
    /// Errors are the reasons upstream gives (wrapped as "received invalid webhook response").
    static func verify(_ body: [UInt8], uid: String, version: String, mutating: Bool) throws(VerifyError) -> Verdict {
        guard let review = try? JSONValue.parse(body), review.objectValue != nil else {
            throw VerifyError("couldn't get version/kind; json parse error: invalid JSON")
        }
        let apiVersion = review["apiVersion"]?.stringValue ?? ""
        let kind = review["kind"]?.stringValue ?? ""
        guard let response = review["response"], response.objectValue != nil else {
            throw VerifyError("webhook response was absent")
        }
        let answeredUID = response["uid"]?.stringValue ?? ""
        if answeredUID != uid {
            throw VerifyError("expected response.uid=\(goQuote(uid)), got \(goQuote(answeredUID))")
        }
        if version == "v1", apiVersion != "admission.k8s.io/v1" || kind != "AdmissionReview" {
            throw VerifyError("expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got \(gvkString(apiVersion, kind))")
        }
        let patchType = response["patchType"]?.stringValue ?? ""
        let patchText = response["patch"]?.stringValue ?? ""
        var patch: [JSONValue]?
        if mutating {
            switch (patchType.isEmpty, patchText.isEmpty) {
            case (true, true): break
            case (true, false): throw VerifyError("webhook returned response.patch but not response.patchType")
            case (false, false) where patchType == "JSONPatch":
                guard let bytes = [UInt8](base64Encoded: patchText), let parsed = try? JSONValue.parse(bytes),
                      let operations = parsed.arrayValue else {
                    throw VerifyError("webhook returned an invalid response.patch")
                }
                patch = operations
            default: throw VerifyError("webhook returned invalid response.patchType of \(goQuote(patchType))")
            }
        } else if !patchType.isEmpty || !patchText.isEmpty {
            throw VerifyError("validating webhook may not return response.patch or response.patchType")
        }
        let warnings = (response["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
        return Verdict(allowed: response["allowed"]?.boolValue ?? false, status: response["status"],
                       patch: patch, warnings: warnings)
    }

    /// Go's `GroupVersionKind.String()`: "group/version, Kind=kind".
    private static func gvkString(_ apiVersion: String, _ kind: String) -> String {
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", parts.first ?? "")
        return group.isEmpty ? "/\(version), Kind=\(kind)" : "\(group)/\(version), Kind=\(kind)"
    }

    struct VerifyError: Error, Sendable {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
