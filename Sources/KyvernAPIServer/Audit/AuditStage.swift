/// The point in a request's life at which an audit event is written (upstream's stages).
package enum AuditStage: String, Sendable, CaseIterable {
    case requestReceived = "RequestReceived"
    /// Only for long-running requests (watches): the headers are sent, the body still streams.
    case responseStarted = "ResponseStarted"
    case responseComplete = "ResponseComplete"
    case panic = "Panic"
}
