import Foundation

/// What the runtime tells the shim to run, written to `shim.json` in the container's state directory.
struct ShimSpec: Codable, Sendable, Hashable {
    enum Mode: String, Codable, Sendable { case runc, process }

    var containerID: String
    var mode: Mode
    /// runc mode: the runc binary, its state root and the container's bundle.
    var runcPath: String = "runc"
    var runcRoot: String = ""
    var bundle: String = ""
    /// process mode: what to run, directly on the node.
    var arguments: [String] = []
    var environment: [String] = []
    var workingDirectory: String = "/"
    /// Absolute path of the CRI-format log file.
    var logPath: String
    var stdin: Bool = false
    var stdinOnce: Bool = false
    /// The container's cgroup (relative to the hierarchy roots), read for OOM kills after exit.
    var cgroupPath: String?

    init(containerID: String, mode: Mode, logPath: String) {
        self.containerID = containerID
        self.mode = mode
        self.logPath = logPath
    }
}

/// What the shim reports through its ready pipe once the container runs (or why it could not start).
struct ShimReady: Codable, Sendable, Hashable {
    var pid: Int32?
    var error: String?
}

/// Written by the shim when the container's main process has exited.
struct ShimExit: Codable, Sendable, Hashable {
    var exitCode: Int32
    var finishedAt: Date
    var reason: String
    var oomKilled: Bool

    /// `OOMKilled` when the memory cgroup killed a process, else `Completed` / `Error` by exit code.
    static func reason(exitCode: Int32, oomKilled: Bool) -> String {
        if oomKilled { return "OOMKilled" }
        return exitCode == 0 ? "Completed" : "Error"
    }
}

/// The files of one container's state directory.
struct ContainerStateFiles: Sendable {
    var directory: String
    init(directory: String) { self.directory = directory }
    var spec: String { directory + "/shim.json" }
    var exit: String { directory + "/exit.json" }
    var started: String { directory + "/started.json" }
    var pidFile: String { directory + "/pid" }
    var shimLog: String { directory + "/shim.log" }
    var attachSocket: String { directory + "/attach.sock" }
}
