#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Runs a helper command (runc, ip) to completion and collects its output, reading and waiting on
/// dedicated threads so that the agent's cooperative threads never block.
struct CommandOutput: Sendable {
    var exitCode: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]
    var timedOut: Bool

    var stdoutString: String { String(decoding: stdout, as: UTF8.self) }
    var combinedOutput: String {
        (String(decoding: stderr, as: UTF8.self) + String(decoding: stdout, as: UTF8.self))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

enum CommandRunner {
    /// Runs `arguments`; with a timeout, `onTimeout` is called (to kill what the command started;
    /// true when it did) and then the command itself gets SIGKILL if it is still there.
    static func run(_ arguments: [String], stdin: [UInt8]? = nil, timeout: Duration? = nil, environment: [String]? = nil,
                    workingDirectory: String? = nil, onTimeout: (@Sendable () -> Bool)? = nil) async throws -> CommandOutput {
        let out = try ChildProcess.pipe()
        let err = try ChildProcess.pipe()
        var input: (read: Int32, write: Int32)? = nil
        if stdin != nil { input = try ChildProcess.pipe() }
        var descriptors: [Int32: Int32] = [1: out.write, 2: err.write]
        if let input { descriptors[0] = input.read }
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(arguments, options: .init(descriptors: descriptors, environment: environment,
                                                                   workingDirectory: workingDirectory))
        } catch {
            [out.read, out.write, err.read, err.write].forEach { close($0) }
            if let input { close(input.read); close(input.write) }
            throw error
        }
        close(out.write)
        close(err.write)
        if let input, let stdin {
            close(input.read)
            let fd = input.write
            Thread.detachNewThread {
                _ = ChildProcess.writeAll(fd, stdin)
                close(fd)
            }
        }
        let timer = TimeoutFlag()
        if let timeout {
            Task.detached {
                try? await Task.sleep(for: timeout)
                if timer.fire() {
                    // When `onTimeout` killed what the command started, the command gets a moment to
                    // collect it and exit by itself (runc exec then reaps its child cleanly).
                    if onTimeout?() == true {
                        try? await Task.sleep(for: .seconds(1))
                    }
                    kill(pid, SIGKILL)
                }
            }
        }
        async let stdoutBytes = readOnThread(out.read)
        async let stderrBytes = readOnThread(err.read)
        let code = await ChildProcess.wait(pid)
        let timedOut = !timer.fire()
        return CommandOutput(exitCode: code, stdout: await stdoutBytes, stderr: await stderrBytes, timedOut: timedOut)
    }

    /// Runs and throws `RuntimeError.commandFailed` on a non-zero exit.
    @discardableResult
    static func check(_ arguments: [String], stdin: [UInt8]? = nil) async throws -> CommandOutput {
        let output = try await run(arguments, stdin: stdin)
        guard output.exitCode == 0 else {
            throw RuntimeError.commandFailed(command: arguments.joined(separator: " "), exitCode: output.exitCode,
                                             output: output.combinedOutput)
        }
        return output
    }

    static func readOnThread(_ fd: Int32) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let bytes = ChildProcess.readAll(fd)
                close(fd)
                continuation.resume(returning: bytes)
            }
        }
    }
}

/// Decides once between "finished" and "timed out", whichever comes first.
final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var decided = false

    /// True for the first caller only.
    func fire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if decided { return false }
        decided = true
        return true
    }
}
