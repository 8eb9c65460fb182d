#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CKyvernLinux
import Foundation

nonisolated(unsafe) private var childSignalPipe: Int32 = -1

/// The per-container monitor, run as `kyvern runtime-shim <state directory>` in its own session so
/// that it outlives the agent: it starts the container (through runc, or as a plain process), turns
/// its output into the CRI log file, reaps it as child subreaper and records how it ended in
/// `exit.json`, which any agent instance reads. Its ready report goes to descriptor 3.
package enum RuntimeShim {
    package static let subcommand = "runtime-shim"
    static let readyDescriptor: Int32 = 3

    package static func main(stateDirectory: String) -> Never {
        let files = ContainerStateFiles(directory: stateDirectory)
        guard let spec = StateFile.read(ShimSpec.self, from: files.spec) else {
            report(ShimReady(error: "no shim spec in \(stateDirectory)"))
            exit(2)
        }
        var shim = Shim(spec: spec, files: files)
        exit(shim.run())
    }

    static func report(_ ready: ShimReady) {
        let bytes = (try? JSONEncoder().encode(ready)).map { [UInt8]($0) } ?? []
        _ = ChildProcess.writeAll(readyDescriptor, bytes)
        close(readyDescriptor)
    }
}

/// The shim's state while its container runs.
private struct Shim {
    let spec: ShimSpec
    let files: ContainerStateFiles
    var exitStatuses: [pid_t: Int32] = [:]

    init(spec: ShimSpec, files: ContainerStateFiles) {
        self.spec = spec
        self.files = files
    }

    mutating func run() -> Int32 {
        kyvern_set_child_subreaper()
        signal(SIGPIPE, SIG_IGN)
        // Stop and kill requests go to the container, not to us; the agent's session is gone anyway.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        guard let signals = try? ChildProcess.pipe() else { return fail("pipe") }
        _ = fcntl(signals.read, F_SETFL, O_NONBLOCK)
        _ = fcntl(signals.write, F_SETFL, O_NONBLOCK)
        childSignalPipe = signals.write
        signal(SIGCHLD) { _ in
            var byte: UInt8 = 1
            _ = write(childSignalPipe, &byte, 1)
        }

        let logFD = open(spec.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard logFD >= 0 else { return fail("open log \(spec.logPath): \(SystemError("open").description)") }
        guard let out = try? ChildProcess.pipe(), let err = try? ChildProcess.pipe() else { return fail("pipe") }
        var input: (read: Int32, write: Int32)? = nil
        if spec.stdin { input = try? ChildProcess.pipe() }

        var descriptors: [Int32: Int32] = [1: out.write, 2: err.write]
        if let input { descriptors[0] = input.read }
        let containerPID: pid_t
        var terminal: Int32? = nil
        switch spec.mode {
        case .runc where spec.tty:
            // runc sends the terminal's master side over the console socket while it runs; the
            // message waits in the socket's queue until we accept.
            let socketAddress = "@kyvern-console-" + spec.containerID
            guard let console = try? UnixSockets.listen(socketAddress) else { return fail("console socket") }
            guard let pid = startWithRunc(descriptors: [2: err.write], errRead: err.read, consoleSocket: socketAddress) else { return 1 }
            let connection = kyvern_accept(console)
            let master = connection >= 0 ? kyvern_receive_fd(connection) : -1
            if connection >= 0 { close(connection) }
            close(console)
            guard master >= 0 else { return fail("runc sent no terminal") }
            terminal = master
            containerPID = pid
        case .runc:
            guard let pid = startWithRunc(descriptors: descriptors, errRead: err.read) else { return 1 }
            containerPID = pid
        case .process:
            do {
                containerPID = try ChildProcess.spawn(spec.arguments, options: .init(
                    descriptors: descriptors, newSession: true, environment: spec.environment,
                    workingDirectory: spec.workingDirectory))
            } catch {
                return fail("\(error)")
            }
        }
        close(out.write)
        close(err.write)
        if let input { close(input.read) }
        // Listening before the ready report, so an attach right after start finds the socket.
        let listener = try? UnixSockets.listen(AttachChannel.address(containerID: spec.containerID))
        RuntimeShim.report(ShimReady(pid: containerPID))

        var writer = CRILogWriter { bytes in _ = ChildProcess.writeAll(logFD, bytes) }
        var open: [Int32: CRILogWriter.Stream] = [out.read: .stdout, err.read: .stderr]
        var stdinWrite = input?.write
        if let terminal {
            close(out.read)
            close(err.read)
            open = [terminal: .stdout]
            if let input { close(input.write) }
            stdinWrite = spec.stdin ? dup(terminal) : nil
        }
        // Its own descriptor: the output side closes `terminal` at end of file.
        let sizer = terminal.map { dup($0) }
        var clients: [Int32] = []
        var readers: Set<Int32> = []
        var inputs: [Int32: AttachChannel.Decoder] = [:]
        var exitedAt: timespec? = nil
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            reap()
            if exitedAt == nil, exitStatuses[containerPID] != nil {
                exitedAt = CRILogWriter.now()
                note("container exited")
                // Whatever the container left behind in its cgroup (processes joined by exec, or
                // children when the pid namespace is the node's) would hold its output open.
                if let cgroup = spec.cgroupPath, !open.isEmpty {
                    for pid in CgroupV1().processes(cgroup) { kill(pid, SIGKILL) }
                }
            }
            if let exitedAt {
                // The container is gone; a straggler still holding its output gets two seconds.
                if open.isEmpty || CRILogWriter.now().tv_sec - exitedAt.tv_sec >= 2 { break }
            }
            var polls = [pollfd(fd: signals.read, events: Int16(POLLIN), revents: 0)]
            polls += open.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if let listener { polls.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            polls += readers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polls, nfds_t(polls.count), exitedAt == nil ? -1 : 100)
            if ready < 0 && errno != EINTR { break }
            for entry in polls where entry.revents != 0 {
                if entry.fd == signals.read {
                    while buffer.withUnsafeMutableBytes({ read(signals.read, $0.baseAddress, $0.count) }) > 0 {}
                    continue
                }
                if entry.fd == listener {
                    let client = kyvern_accept(entry.fd)
                    if client >= 0 {
                        clients.append(client)
                        readers.insert(client)
                    }
                    continue
                }
                if readers.contains(entry.fd) {
                    // Input from an attached client goes to the container's stdin.
                    let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                    if count > 0 {
                        for frame in inputs[entry.fd, default: .init()].feedFrames(Array(buffer[0..<count])) {
                            switch frame.kind {
                            case AttachChannel.stdinKind:
                                if let stdinWrite { _ = ChildProcess.writeAll(stdinWrite, frame.payload) }
                            case AttachChannel.resizeKind:
                                if let sizer, let size = AttachChannel.terminalSize(frame.payload) {
                                    kyvern_set_window_size(sizer, size.rows, size.columns)
                                }
                            default: break
                            }
                        }
                    } else if count == 0 || (count < 0 && errno != EINTR) {
                        readers.remove(entry.fd)
                        inputs[entry.fd] = nil
                        if spec.stdinOnce, let fd = stdinWrite {
                            close(fd)
                            stdinWrite = nil
                        }
                        if count < 0 {
                            close(entry.fd)
                            clients.removeAll { $0 == entry.fd }
                        }
                    }
                    continue
                }
                guard let stream = open[entry.fd] else { continue }
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    writer.append(buffer[0..<count], from: stream)
                    let frame = AttachChannel.frame(stream, buffer[0..<count])
                    clients.removeAll { client in
                        let sent = frame.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        if sent != frame.count { close(client) }
                        return sent != frame.count
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    writer.finish(stream)
                    close(entry.fd)
                    open[entry.fd] = nil
                }
            }
        }
        note("output closed")
        for stream in open.values { writer.finish(stream) }
        close(logFD)
        clients.forEach { close($0) }
        if let listener { close(listener) }

        let exitCode = exitStatuses[containerPID] ?? 137
        var oomKilled = false
        if let cgroup = spec.cgroupPath {
            oomKilled = CgroupV1().oomKillCount(cgroup) > 0
        }
        if spec.mode == .runc {
            _ = runc(["delete", "--force", spec.containerID])
        }
        note("runc delete done")
        let record = ShimExit(exitCode: exitCode, finishedAt: Date(), reason: ShimExit.reason(exitCode: exitCode, oomKilled: oomKilled),
                              oomKilled: oomKilled)
        try? StateFile.write(record, to: files.exit)
        return 0
    }

    /// `runc run --detach` (create and start in one runc process) with the container's stdio on our
    /// pipes; returns the container's pid, which is then our child as subreaper.
    mutating func startWithRunc(descriptors: [Int32: Int32], errRead: Int32, consoleSocket: String? = nil) -> pid_t? {
        let console = consoleSocket.map { ["--console-socket", $0] } ?? []
        let run = runc(["run", "--detach", "--bundle", spec.bundle, "--pid-file", files.pidFile] + console + [spec.containerID],
                       descriptors: descriptors)
        guard run == 0 else {
            _ = fcntl(errRead, F_SETFL, O_NONBLOCK)
            var buffer = [UInt8](repeating: 0, count: 16384)
            let count = buffer.withUnsafeMutableBytes { read(errRead, $0.baseAddress, $0.count) }
            let output = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
            _ = runc(["delete", "--force", spec.containerID])
            _ = fail("runc run exited with \(run): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
            return nil
        }
        guard let text = FileSystem.readString(files.pidFile),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            _ = fail("runc run wrote no pid")
            return nil
        }
        return pid
    }

    /// Runs runc to completion, collecting other children's exits meanwhile.
    mutating func runc(_ arguments: [String], descriptors: [Int32: Int32] = [:]) -> Int32 {
        let command = [spec.runcPath, "--root", spec.runcRoot] + arguments
        guard let pid = try? ChildProcess.spawn(command, options: .init(descriptors: descriptors)) else { return -1 }
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, 0)
            if reaped == pid { return ChildProcess.exitCode(fromWaitStatus: status) }
            if reaped < 0 && errno != EINTR { return -1 }
        }
    }

    /// Collects every exited child (the container's init and orphans reparented to us).
    mutating func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            exitStatuses[pid] = ChildProcess.exitCode(fromWaitStatus: status)
        }
    }

    /// Appends a timestamped line to shim.log (what the shim did, for diagnosing slow stops).
    func note(_ message: String) {
        let fd = open(files.shimLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        _ = ChildProcess.writeAll(fd, Array((CRILogWriter.timestamp(CRILogWriter.now()) + " " + message + "\n").utf8))
        close(fd)
    }

    func fail(_ message: String) -> Int32 {
        try? FileSystem.writeString(files.shimLog, message + "\n")
        RuntimeShim.report(ShimReady(error: message))
        return 1
    }
}
