#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

extension RuncRuntime {
    public func execSync(id: String, command: [String], timeout: Duration) async throws -> ExecResult {
        try requireRunning(id)
        let pidFile = store.containerDirectory(id) + "/exec-\(ContainerStateStore.newID().prefix(12)).pid"
        defer { unlink(pidFile) }
        let output = try await CommandRunner.run(runc(["exec", "--pid-file", pidFile, id] + command), timeout: timeout > .zero ? timeout : nil) {
            // runc does not pass SIGKILL on: kill the command itself.
            guard let text = FileSystem.readString(pidFile), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                return false
            }
            return kill(pid, SIGKILL) == 0
        }
        return ExecResult(exitCode: output.exitCode, stdout: output.stdout, stderr: output.stderr, timedOut: output.timedOut)
    }

    public func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        try requireRunning(id)
        if tty {
            return try await TerminalSession.run(runc(["exec", "--tty"]), containerID: id, command: command, io: io)
        }
        return try await StreamingCommand.run(runc(["exec", id] + command), io: io)
    }

    public func attach(id: String, tty: Bool, io: StreamIO) async throws {
        try requireRunning(id)
        try await AttachClient.attach(containerID: id, io: io)
    }

    public func portForward(sandboxID: String, port: Int, io: ByteStream) async throws {
        let sandbox = try store.sandbox(sandboxID)
        guard sandbox.state == .ready else { throw RuntimeError.invalidState(id: sandboxID, state: sandbox.state.rawValue) }
        try await PortForwarder.forward(networkNamespacePath: sandbox.networkNamespacePath, port: port, io: io)
    }

    func requireRunning(_ id: String) throws {
        let status = store.status(try store.container(id))
        guard status.state == .running else { throw RuntimeError.invalidState(id: id, state: status.state.rawValue) }
    }
}
