internal import Logging
internal import GRPCCore
public import KyvernRuntime

/// A CRI call the runtime refused, with the method and the runtime's own message, so that what
/// the agent reports (events, container `message`) is what containerd said.
public struct CRICallError: Error, Sendable, CustomStringConvertible {
    public var method: String
    public var code: String
    public var message: String
    public var description: String { "\(method): \(code): \(message)" }
}

extension CRIConnection {
    /// Runs one call; NotFound becomes the ``RuntimeError`` the agent matches on (`notFound`), other
    /// gRPC failures a ``CRICallError``. A call whose HTTP/2 stream broke (Unavailable) is tried once
    /// more: a repeat that finds its first attempt done fails as the runtime says (a reserved name,
    /// a container already running), which the agent's next sync sorts out as it would any error.
    func call<Result: Sendable>(_ method: String, notFound: KyvernRuntime.RuntimeError? = nil,
                                _ body: () async throws -> Result) async throws -> Result {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch let error as RPCError {
                if error.code == .unavailable, attempt < 2 {
                    logger.debug("CRI call unavailable; trying once more", metadata: ["method": "\(method)", "error": "\(error)"])
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                if error.code == .notFound, let notFound { throw notFound }
                throw CRICallError(method: method, code: "\(error.code)", message: error.message)
            }
        }
    }

    /// A call whose NotFound means "already done" (stop or remove of something gone), as the CRI's
    /// idempotent verbs want.
    func callIgnoringNotFound(_ method: String, _ body: () async throws -> Void) async throws {
        do {
            try await call(method, notFound: .containerNotFound(method), body)
        } catch KyvernRuntime.RuntimeError.containerNotFound {
            return
        }
    }
}
