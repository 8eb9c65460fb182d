import Synchronization

/// What admission steps inside a write's retry loop report besides refusing: warnings for the
/// reply and annotations for the (future) audit event. Shared by every copy of a request, and
/// replaced per step on each attempt, so only the attempt that was stored speaks.
final class AdmissionWarnings: Sendable {
    private struct State {
        var warnings: [(step: String, texts: [String])] = []
        var auditAnnotations: [String: [String: String]] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Replaces what `step` said before (an earlier attempt) with `texts`.
    func set(_ step: String, _ texts: [String]) {
        state.withLock { state in
            state.warnings.removeAll { $0.step == step }
            if !texts.isEmpty { state.warnings.append((step, texts)) }
        }
    }

    func setAuditAnnotations(_ step: String, _ annotations: [String: String]) {
        state.withLock { $0.auditAnnotations[step] = annotations.isEmpty ? nil : annotations }
    }

    var all: [String] { state.withLock { $0.warnings.flatMap { $0.texts } } }

    /// Annotations for the request's audit event (written by ``AuditRecord/annotate(_:)``).
    var auditAnnotations: [String: String] {
        state.withLock { $0.auditAnnotations.values.reduce(into: [:]) { $0.merge($1) { _, new in new } } }
    }
}
