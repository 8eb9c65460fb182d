import KyvernAPI

/// Upstream's user-facing PodSecurity texts: the enforce refusal, the warn/audit message, and
/// the warnings for existing pods when a namespace's enforce level tightens.
enum PodSecurityMessages {
    static let auditViolationsAnnotation = "pod-security.kubernetes.io/audit-violations"
    static let enforcePolicyAnnotation = "pod-security.kubernetes.io/enforce-policy"

    /// `violates PodSecurity "restricted:latest": <details>`.
    static func violates(_ policy: PodSecurityLevelVersion, _ result: PodSecurityResult) -> String {
        "violates PodSecurity \(PodSecurityText.quote(policy.description)): \(result.details)"
    }

    /// `would violate PodSecurity "baseline:latest": <details>`: a warning, or the audit annotation.
    static func wouldViolate(_ policy: PodSecurityLevelVersion, _ result: PodSecurityResult) -> String {
        "would violate PodSecurity \(PodSecurityText.quote(policy.description)): \(result.details)"
    }

    /// The 403 for a pod the enforce level refuses: `pods "x" is forbidden: violates PodSecurity ...`.
    static func forbidden(resource: String, name: String, _ policy: PodSecurityLevelVersion,
                          _ result: PodSecurityResult) -> APIError {
        ForbiddenError.forbidden(group: "", resource: resource, name: name, violates(policy, result))
    }

    /// Warnings for a namespace's existing pods under a new enforce level: a summary line, then one
    /// line per distinct set of reasons, led by the first pod's name (and how many others share it).
    static func existingPods(namespace: String, enforce: PodSecurityLevelVersion,
                             results: [(pod: String, result: PodSecurityResult)]) -> [String] {
        var firstPod: [String: String] = [:]
        var count: [String: Int] = [:]
        for (pod, result) in results where !result.allowed {
            let reasons = result.reasons
            count[reasons, default: 0] += 1
            if let first = firstPod[reasons], first <= pod { continue }
            firstPod[reasons] = pod
        }
        guard !firstPod.isEmpty else { return [] }
        let lines = firstPod.map { reasons, pod -> String in
            switch count[reasons] ?? 1 {
            case 1: "\(pod): \(reasons)"
            case 2: "\(pod) (and 1 other pod): \(reasons)"
            case let n: "\(pod) (and \(n - 1) other pods): \(reasons)"
            }
        }.sorted()
        return ["existing pods in namespace \(PodSecurityText.quote(namespace)) violate the new PodSecurity enforce level "
            + PodSecurityText.quote(enforce.description)] + lines
    }
}
