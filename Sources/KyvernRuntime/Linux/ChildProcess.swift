#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CKyvernLinux
import Foundation

/// Starts programs with `posix_spawn`, placing chosen descriptors at chosen numbers and closing all
/// others, because the runtime's children (runc, the shim) must not inherit the agent's sockets,
/// and the shim must leave the agent's session so that it outlives it.
enum ChildProcess {
    struct Options: Sendable {
        /// Child descriptor number → parent descriptor to put there (0, 1, 2, and e.g. 3 for a ready pipe).
        var descriptors: [Int32: Int32] = [:]
        var newSession = false
        var environment: [String]? = nil
        var workingDirectory: String? = nil

        init(descriptors: [Int32: Int32] = [:], newSession: Bool = false, environment: [String]? = nil,
                     workingDirectory: String? = nil) {
            self.descriptors = descriptors
            self.newSession = newSession
            self.environment = environment
            self.workingDirectory = workingDirectory
        }
    }

    /// Spawns `arguments[0]` (searched in PATH when not absolute); descriptors not named in
    /// `options.descriptors` are /dev/null (0–2) or closed (3 and up).
    static func spawn(_ arguments: [String], options: Options = .init()) throws -> pid_t {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // Move every source out of the way first, so a target number never clobbers a later source.
        let highest = max(10, (options.descriptors.keys.max() ?? 0) + 1, (options.descriptors.values.max() ?? 0) + 1)
        var staged: [(target: Int32, temporary: Int32)] = []
        for (index, entry) in options.descriptors.sorted(by: { $0.key < $1.key }).enumerated() {
            let temporary = highest + Int32(index)
            posix_spawn_file_actions_adddup2(&actions, entry.value, temporary)
            staged.append((entry.key, temporary))
        }
        for target in Int32(0)...2 where options.descriptors[target] == nil {
            posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        for entry in staged {
            posix_spawn_file_actions_adddup2(&actions, entry.temporary, entry.target)
        }
        let firstFree = (options.descriptors.keys.filter { $0 > 2 }.max() ?? 2) + 1
        kyvern_spawn_addclosefrom(&actions, firstFree)
        if let directory = options.workingDirectory {
            kyvern_spawn_addchdir(&actions, directory)
        }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if options.newSession { flags |= Int32(kyvern_spawn_setsid_flag()) }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let environment = options.environment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStringArray(arguments) { argv in
            withCStringArray(environment) { envp in
                if arguments[0].contains("/") {
                    posix_spawn(&pid, argv[0]!, &actions, &attributes, argv, envp)
                } else {
                    posix_spawnp(&pid, argv[0]!, &actions, &attributes, argv, envp)
                }
            }
        }
        guard result == 0 else { throw SystemError("spawn \(arguments[0])", code: result) }
        return pid
    }

    /// Blocks until `pid` exits; returns its exit code, or 128 + signal as shells report it.
    static func waitBlocking(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return exitCode(fromWaitStatus: status)
    }

    /// Waits on a dedicated thread so that no cooperative thread blocks.
    static func wait(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: waitBlocking(pid)) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }

    static func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }

    /// A pipe whose both ends close on exec (the spawn actions re-open the ones a child needs).
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard kyvern_pipe_cloexec(&fds) == 0 else { throw SystemError("pipe") }
        return (fds[0], fds[1])
    }

    /// Reads until end of file.
    static func readAll(_ fd: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Whether a process with this pid exists (a zombie counts until reaped).
    static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
