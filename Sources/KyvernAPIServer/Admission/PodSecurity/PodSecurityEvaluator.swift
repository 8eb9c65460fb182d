import KyvernAPI

/// Runs a level's checks over a pod. Baseline checks come first, then restricted ones, each
/// group in upstream's order of check IDs, so the reasons in a message read as upstream's do.
enum PodSecurityEvaluator {
    static let baseline: [PodSecurityCheck] = PodSecurityBaselineChecks.all.sorted { $0.id < $1.id }

    static let restricted: [PodSecurityCheck] = {
        let own = PodSecurityRestrictedChecks.all.sorted { $0.id < $1.id }
        let replaced = Set(own.flatMap(\.overrides))
        return baseline.filter { !replaced.contains($0.id) } + own
    }()

    static func checks(for level: PodSecurityLevel) -> [PodSecurityCheck] {
        switch level {
        case .privileged: []
        case .baseline: baseline
        case .restricted: restricted
        }
    }

    /// The violations of `policy` (every version is judged by this release's checks).
    static func evaluate(_ policy: PodSecurityLevelVersion, _ pod: PodSecurityPod) -> PodSecurityResult {
        PodSecurityResult(violations: checks(for: policy.level).compactMap { $0.evaluate(pod) })
    }
}

/// The outcome of one evaluation.
struct PodSecurityResult: Sendable, Equatable {
    var violations: [PodSecurityViolation]

    var allowed: Bool { violations.isEmpty }

    /// `host namespaces, privileged`: the reasons only (the per-pod namespace warnings use this).
    var reasons: String { violations.map(\.reason).joined(separator: ", ") }

    /// `host namespaces (hostNetwork=true), privileged (container "c" must not ...)`.
    var details: String {
        violations.map { $0.detail.isEmpty ? $0.reason : "\($0.reason) (\($0.detail))" }.joined(separator: ", ")
    }
}
