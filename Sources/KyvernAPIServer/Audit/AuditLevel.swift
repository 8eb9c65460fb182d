/// How much of a request an audit event records (upstream's `audit.k8s.io` levels), from nothing
/// to the request and response bodies; comparable so "at least Request" reads as `>=`.
package enum AuditLevel: String, Sendable, CaseIterable, Comparable {
    case none = "None"
    case metadata = "Metadata"
    case request = "Request"
    case requestResponse = "RequestResponse"

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    package static func < (lhs: AuditLevel, rhs: AuditLevel) -> Bool { lhs.rank < rhs.rank }
}
