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
    /// the command ends; otherwise a session with the runtime's streaming server.
    public func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        guard io.stdin != nil || tty else {
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
        var request = Runtime_V1_ExecRequest()
        request.containerID = id
        request.cmd = command
        request.tty = tty
        request.stdin = io.stdin != nil
        request.stdout = true
        request.stderr = !tty
        let url = try await connection.call("Exec", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.exec(request, options: connection.options())
        }.url
        // SPDY, not WebSocket v4: only there can the end of standard input reach the command.
        let status = StatusCollector()
        try await CRISpdySession(url: url, stdin: io.stdin != nil, tty: tty, logger: logger).run(
            send: { write in try await CRIStreamSession.sendInput(io, closeStdin: true, write: write) },
            received: { message in await Self.deliver(message, io: io, status: status) })
        return try CRIStreamSession.exitCode(status: await status.bytes)
    }

    public func attach(id: String, tty: Bool, io: StreamIO) async throws {
        var request = Runtime_V1_AttachRequest()
        request.containerID = id
        request.tty = tty
        request.stdin = io.stdin != nil
        request.stdout = true
        request.stderr = !tty
        let url = try await connection.call("Attach", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.attach(request, options: connection.options())
        }.url
        let status = StatusCollector()
        try await CRISpdySession(url: url, stdin: io.stdin != nil, tty: tty, logger: logger).run(
            send: { write in try await CRIStreamSession.sendInput(io, closeStdin: true, write: write) },
            received: { message in await Self.deliver(message, io: io, status: status) })
    }

    /// One port over the port-forward WebSocket protocol: data on channel 0, errors on channel 1;
    /// the server opens each channel with the port number (2 bytes), the client sends bare data.
    public func portForward(sandboxID: String, port: Int, io: ByteStream) async throws {
        var request = Runtime_V1_PortForwardRequest()
        request.podSandboxID = sandboxID
        request.port = [Int32(clamping: port)]
        let url = try await connection.call("PortForward", notFound: .sandboxNotFound(sandboxID)) {
            try await connection.runtimeService.portForward(request, options: connection.options())
        }.url
        let separator = url.contains("?") ? "&" : "?"
        let errors = StatusCollector()
        let seen = StatusCollector()
        try await CRIStreamSession(url: url + "\(separator)ports=\(port)", subprotocol: CRIStreamSession.portForwardProtocol,
                                   logger: logger).run(
            send: { write in
                for await bytes in io.incoming { try await write([0] + bytes) }
            },
            received: { message in
                guard let channel = message.first else { return }
                let payload = Array(message.dropFirst())
                // The first message of each channel is its port (2 bytes, little-endian).
                if await seen.markFirst(channel) { if payload.count <= 2 { return } }
                if channel == 0 { await io.outgoing(payload) } else { await errors.append(payload) }
            })
        let error = await errors.bytes
        if !error.isEmpty { throw CRICallError(method: "PortForward", code: "unknown", message: String(decoding: error, as: UTF8.self)) }
    }

    static func deliver(_ message: [UInt8], io: StreamIO, status: StatusCollector) async {
        guard let channel = message.first else { return }
        let payload = Array(message.dropFirst())
        switch channel {
        case 1: await io.stdout?(payload)
        case 2: await io.stderr?(payload)
        case 3: await status.append(payload)
        default: break
        }
    }
}

/// Bytes a session's handler gathers while it runs (the status or error channel).
actor StatusCollector {
    private(set) var bytes: [UInt8] = []
    private var channels: Set<UInt8> = []

    func append(_ more: [UInt8]) { bytes += more }

    /// True the first time `channel` is seen.
    func markFirst(_ channel: UInt8) -> Bool { channels.insert(channel).inserted }
}
