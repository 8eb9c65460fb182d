import Foundation
import KyvernAPI

extension CustomResourceDefinitionValidation {
    static let approvalAnnotation = "api-approved.kubernetes.io"

    /// Groups under `k8s.io` and `kubernetes.io` need an API review link (upstream's API approval).
    static func validateAPIApproval(_ crd: JSONValue, old: JSONValue?, group: String) -> [APIError.Cause] {
        let protected = group == "k8s.io" || group.hasSuffix(".k8s.io") || group == "kubernetes.io"
            || group.hasSuffix(".kubernetes.io")
        guard protected else { return [] }
        func state(_ object: JSONValue?) -> (state: String, reason: String, value: String?) {
            guard let value = object?[path: ["metadata", "annotations", approvalAnnotation]]?.stringValue,
                  !value.isEmpty else {
                return ("missing", "protected groups must have approval annotation \"\(approvalAnnotation)\", see https://github.com/kubernetes/enhancements/pull/1111", nil)
            }
            if value.hasPrefix("unapproved") { return ("bypassed", "", value) }
            if let url = APIApprovalURL(value), url.isAbsolute { return ("approved", "", value) }
            return ("invalid", "protected groups must have approval annotation \"\(approvalAnnotation)\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111", value)
        }
        let new = state(crd)
        if let old, state(old).state == new.state { return [] }
        let field = "metadata.annotations[\(approvalAnnotation)]"
        switch new.state {
        case "missing": return [.required(field, new.reason)]
        case "invalid": return [.invalid(field, .string(new.value ?? ""), new.reason)]
        default: return []
        }
    }

    static func validatePreserveUnknownFields(_ spec: CustomResourceDefinitionSpecView, old: JSONValue?) -> [APIError.Cause] {
        if old?[path: ["spec", "preserveUnknownFields"]]?.boolValue == true { return [] }
        guard spec.preserveUnknownFields else { return [] }
        return [.invalid("spec.preserveUnknownFields", .bool(true),
                         "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")]
    }
}

/// Just enough of a URL parse to tell a `scheme://host/...` link from free text.
struct APIApprovalURL {
    let scheme: String
    let host: String

    init?(_ s: String) {
        guard let range = s.range(of: "://") else { return nil }
        scheme = String(s[..<range.lowerBound])
        let rest = s[range.upperBound...]
        host = String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }

    var isAbsolute: Bool { !scheme.isEmpty && !scheme.contains(" ") && !host.isEmpty }
}
