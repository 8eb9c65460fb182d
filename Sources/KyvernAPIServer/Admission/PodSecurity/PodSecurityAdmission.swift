import KyvernAPI

/// The decisions of PodSecurity admission that need no server state.
enum PodSecurityAdmission {
    struct Verdict: Sendable {
        /// Set when the enforce level refuses the pod.
        var refusal: PodSecurityResult?
        var warnings: [String] = []
        var auditAnnotations: [String: String] = [:]
    }

    /// Evaluates the three modes as upstream does: enforce (pods only) may refuse; audit records
    /// its violations; warn speaks only on a request that is not refused. Equal levels share a result.
    static func evaluate(_ pod: PodSecurityPod, policy: PodSecurityPolicy, enforce: Bool) -> Verdict {
        var verdict = Verdict()
        var cached: [PodSecurityLevelVersion: PodSecurityResult] = [:]
        func result(_ levelVersion: PodSecurityLevelVersion) -> PodSecurityResult {
            if let known = cached[levelVersion] { return known }
            let fresh = PodSecurityEvaluator.evaluate(levelVersion, pod)
            cached[levelVersion] = fresh
            return fresh
        }
        if enforce {
            verdict.auditAnnotations[PodSecurityMessages.enforcePolicyAnnotation] = policy.enforce.description
            let enforced = result(policy.enforce)
            if !enforced.allowed { verdict.refusal = enforced }
        }
        let audited = result(policy.audit)
        if !audited.allowed {
            verdict.auditAnnotations[PodSecurityMessages.auditViolationsAnnotation] =
                PodSecurityMessages.wouldViolate(policy.audit, audited)
        }
        if verdict.refusal == nil {
            let warned = result(policy.warn)
            if !warned.allowed { verdict.warnings.append(PodSecurityMessages.wouldViolate(policy.warn, warned)) }
        }
        return verdict
    }

    /// Whether a namespace update should check its existing pods: the enforce level changed to a
    /// non-privileged one that is not merely a relaxation at the same version.
    static func tightensEnforce(_ new: PodSecurityLevelVersion, old: PodSecurityLevelVersion) -> Bool {
        if new == old || new.level == .privileged { return false }
        if new.version == old.version && new.level <= old.level { return false }
        return true
    }

    /// Upstream evaluates a pod update only when containers come or go or an image changes: the
    /// rest of a pod's security-relevant spec is immutable.
    static func isSignificantPodUpdate(_ new: JSONValue, old: JSONValue) -> Bool {
        func list(_ pod: JSONValue, _ field: String) -> [JSONValue] { pod[path: ["spec", field]]?.arrayValue ?? [] }
        func image(_ container: JSONValue) -> JSONValue? { container["image"] }
        for field in ["containers", "initContainers"] {
            let (now, before) = (list(new, field), list(old, field))
            if now.count != before.count { return true }
            if zip(now, before).contains(where: { image($0) != image($1) }) { return true }
        }
        let previous = list(old, "ephemeralContainers")
        for container in list(new, "ephemeralContainers") {
            guard let match = previous.first(where: { $0["name"] == container["name"] }) else { return true }
            if image(match) != image(container) { return true }
        }
        return false
    }

    static func podParts(_ pod: JSONValue) -> PodSecurityPod {
        PodSecurityPod(metadata: pod["metadata"], spec: pod["spec"])
    }

    /// The pod template of a workload resource; `.some(nil)` for a workload without one.
    static func template(of object: JSONValue, info: ResourceInfo) -> PodSecurityPod?? {
        let path: [String]
        switch (info.group, info.resource) {
        case ("", "podtemplates"): path = ["template"]
        case ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "replicasets"),
             ("apps", "statefulsets"), ("apps", "daemonsets"), ("batch", "jobs"):
            path = ["spec", "template"]
        case ("batch", "cronjobs"): path = ["spec", "jobTemplate", "spec", "template"]
        default: return nil
        }
        guard let template = object[path: path], template != .null else { return .some(nil) }
        return .some(PodSecurityPod(metadata: template["metadata"], spec: template["spec"]))
    }
}
