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
            let directory = store.containerDirectory(id)
            let processFile = directory + "/exec-\(ContainerStateStore.newID().prefix(12)).json"
            defer { unlink(processFile) }
            let runcCommand = runc(["exec", "--process", processFile, id])
            return try await TerminalSession.run(io: io) { size in
                try Self.writeTerminalProcess(bundle: directory, command: command, size: size, to: processFile)
                return runcCommand
            }
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

    /// The container's own process with the command and a terminal, as `runc exec --tty` would make
    /// it, plus the client's size as `consoleSize`: runc's init sizes the terminal before the command
    /// starts (without it, runc copies the size only after starting the command).
    static func writeTerminalProcess(bundle: String, command: [String], size: TerminalSize?, to path: String) throws {
        guard let data = FileManager.default.contents(atPath: bundle + "/config.json") else {
            throw SystemError("read \(bundle)/config.json", code: errno)
        }
        var process = try JSONDecoder().decode(OCISpec.self, from: data).process
        process.args = command
        process.terminal = true
        process.consoleSize = size.map { OCISpec.Box(height: UInt32($0.height), width: UInt32($0.width)) }
        try FileSystem.writeAtomically(path, Array(try JSONEncoder().encode(process)))
    }

    func requireRunning(_ id: String) throws {
        let status = store.status(try store.container(id))
        guard status.state == .running else { throw RuntimeError.invalidState(id: id, state: status.state.rawValue) }
    }
}
