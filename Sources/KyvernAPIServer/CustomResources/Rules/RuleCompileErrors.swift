import KyvernAPI

/// Why a CRD's `x-kubernetes-validations` were rejected: CRD validation causes with upstream's
/// field paths and messages.
struct RuleCompileErrors: Error, Sendable {
    var causes: [APIError.Cause]
}
