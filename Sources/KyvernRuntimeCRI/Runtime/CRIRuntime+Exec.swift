public import Foundation
public import KyvernRuntime
internal import GRPCCore

extension CRIRuntime {
    public func execSync(id: String, command: [String], timeout: Duration) async throws -> ExecResult {
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = id
        request.cmd = command
        request.timeout = CRIRequests.execTimeoutSeconds(timeout)
        // The runtime enforces the timeout; the call's own deadline only guards against a stuck runtime.
        let deadline = timeout + .seconds(30)
        do {
            let response = try await connection.runtimeService.execSync(request, options: connection.options(timeout: deadline))
            return ExecResult(exitCode: response.exitCode, stdout: Array(response.stdout), stderr: Array(response.stderr))
        } catch let error as RPCError {
            if error.code == .notFound { throw KyvernRuntime.RuntimeError.containerNotFound(id) }
            if CRIResponses.isExecTimeout(error.code == .deadlineExceeded, message: error.message) {
                return ExecResult(exitCode: -1, timedOut: true)
            }
            throw CRICallError(method: "ExecSync", code: "\(error.code)", message: error.message)
        }
    }

    /// Without standard input or a terminal, an exec is an ExecSync whose output is handed over once
    /// the command ends. Interactive sessions need the runtime's streaming server (not yet spoken).
    public func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        guard io.stdin == nil, !tty else {
            throw KyvernRuntime.RuntimeError.unsupported("interactive exec (stdin or tty) through the CRI streaming server")
        }
        var request = Runtime_V1_ExecSyncRequest()
        request.containerID = id
        request.cmd = command
        let response = try await connection.call("ExecSync", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.execSync(request, options: connection.options(timeout: .seconds(24 * 3600)))
        }
        if !response.stdout.isEmpty { await io.stdout?(Array(response.stdout)) }
        if !response.stderr.isEmpty { await io.stderr?(Array(response.stderr)) }
        return response.exitCode
    }

    public func attach(id: String, tty: Bool, io: StreamIO) async throws {
        throw KyvernRuntime.RuntimeError.unsupported("attach through the CRI streaming server")
    }

    public func portForward(sandboxID: String, port: Int, io: ByteStream) async throws {
        throw KyvernRuntime.RuntimeError.unsupported("port-forward through the CRI streaming server")
    }
}
