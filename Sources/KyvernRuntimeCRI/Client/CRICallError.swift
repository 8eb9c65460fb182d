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
    /// gRPC failures a ``CRICallError``.
    func call<Result: Sendable>(_ method: String, notFound: KyvernRuntime.RuntimeError? = nil,
                                _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as RPCError {
            if error.code == .notFound, let notFound { throw notFound }
            throw CRICallError(method: method, code: "\(error.code)", message: error.message)
        }
    }

    /// A call whose NotFound means "already done" (stop or remove of something gone), as the CRI's
    /// idempotent verbs want.
    func callIgnoringNotFound(_ method: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as RPCError where error.code == .notFound {
            return
        } catch let error as RPCError {
            throw CRICallError(method: method, code: "\(error.code)", message: error.message)
        }
    }
}
