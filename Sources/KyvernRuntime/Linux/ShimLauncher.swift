#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Starts a container's shim in a session of its own and waits for its ready report.
struct ShimLauncher: Sendable {
    /// The kyvern binary (it has the hidden `runtime-shim` subcommand).
    var executable: String

    /// `/proc/self/exe` resolved: the running kyvern binary.
    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 { return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    /// Returns the container's pid and the shim's, or throws what the shim reported.
    func launch(stateDirectory: String, containerID: String) async throws -> (pid: Int32, shimPID: Int32) {
        let ready = try ChildProcess.pipe()
        let shimPID: pid_t
        do {
            shimPID = try ChildProcess.spawn([executable, RuntimeShim.subcommand, stateDirectory],
                                             options: .init(descriptors: [3: ready.write], newSession: true))
        } catch {
            close(ready.read)
            close(ready.write)
            throw error
        }
        close(ready.write)
        let bytes = await CommandRunner.readOnThread(ready.read)
        guard let report = try? JSONDecoder().decode(ShimReady.self, from: Data(bytes)) else {
            _ = await ChildProcess.wait(shimPID)
            let log = FileSystem.readString(stateDirectory + "/shim.log") ?? ""
            throw RuntimeError.commandFailed(command: "start container \(containerID)", exitCode: 1,
                                             output: "the shim exited without a report \(log)")
        }
        if let error = report.error {
            _ = await ChildProcess.wait(shimPID)
            throw RuntimeError.commandFailed(command: "start container \(containerID)", exitCode: 1, output: error)
        }
        guard let pid = report.pid else {
            throw RuntimeError.commandFailed(command: "start container \(containerID)", exitCode: 1, output: "no pid")
        }
        // Reap the shim whenever it ends, so that it does not linger as a zombie of the agent.
        Thread.detachNewThread { _ = ChildProcess.waitBlocking(shimPID) }
        return (pid, shimPID)
    }
}
