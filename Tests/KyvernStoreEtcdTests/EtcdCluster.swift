import Foundation
import KyvernStore
import Synchronization
import KyvernStoreEtcd
import Logging
import Testing

/// Members still running and their data directories, for the exit handler: suites keep their
/// clusters in static properties, which are never released, so nothing else would stop them.
private let leftovers = Mutex<(pids: Set<pid_t>, directories: Set<String>)>(([], []))
private let stopLeftoversAtExit: Void = {
    atexit {
        let (pids, directories) = leftovers.withLock { $0 }
        for pid in pids { kill(pid, SIGKILL) }
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }
}()

/// Real etcd members (Debian's `etcd-server`) on 127.0.0.1, started for a test suite and stopped,
/// their data removed, when it ends.
final class EtcdCluster: @unchecked Sendable {
    struct Member {
        let name: String
        let clientPort: Int
        let peerPort: Int
        let dataDirectory: String
        var process: Process?
    }

    private(set) var members: [Member]
    private let directory: String
    private let lock = NSLock()

    /// Where the binary is: `$ETCD` or Debian's `/usr/bin/etcd`.
    static var logDirectory: String? { ProcessInfo.processInfo.environment["KYVERN_ETCD_LOG_DIR"] }

    static var binary: String { ProcessInfo.processInfo.environment["ETCD"] ?? "/usr/bin/etcd" }

    init(size: Int) throws {
        let directory = NSTemporaryDirectory() + "kyvern-etcd-\(UUID().uuidString.prefix(8))"
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try FreePorts.take(size * 2)
        members = (0..<size).map { i in
            Member(name: "m\(i)", clientPort: ports[2 * i], peerPort: ports[2 * i + 1],
                   dataDirectory: "\(directory)/m\(i)", process: nil)
        }
        for i in members.indices { try start(i) }
    }

    var endpoints: [EtcdConfiguration.Endpoint] {
        members.map { .init(host: "127.0.0.1", port: $0.clientPort, secure: false) }
    }

    func makeStore(requestTimeout: Duration = .seconds(5)) throws -> EtcdStore {
        var logger = Logger(label: "test.etcd")
        logger.logLevel = .warning
        return try EtcdStore(configuration: EtcdConfiguration(endpoints: endpoints, requestTimeout: requestTimeout),
                             logger: logger)
    }

    func start(_ i: Int) throws {
        let cluster = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        let m = members[i]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--name", m.name, "--data-dir", m.dataDirectory,
            "--listen-client-urls", "http://127.0.0.1:\(m.clientPort)",
            "--advertise-client-urls", "http://127.0.0.1:\(m.clientPort)",
            "--listen-peer-urls", "http://127.0.0.1:\(m.peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(m.peerPort)",
            "--initial-cluster", cluster, "--initial-cluster-state", "new",
            "--initial-cluster-token", "kyvern-test", "--logger", "zap", "--max-concurrent-streams", "1000",
            "--log-level", Self.logDirectory == nil ? "error" : "debug",
        ]
        process.standardOutput = FileHandle.nullDevice
        // $KYVERN_ETCD_LOG_DIR keeps each member's log, for when a check fails.
        if let logs = Self.logDirectory {
            let path = "\(logs)/\(directory.split(separator: "/").last ?? "")-\(m.name).log"
            FileManager.default.createFile(atPath: path, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: path)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        _ = stopLeftoversAtExit
        leftovers.withLock { _ = $0.pids.insert(process.processIdentifier); _ = $0.directories.insert(directory) }
        lock.withLock { members[i].process = process }
    }

    /// Stops member `i` at once (SIGKILL), as a crash would.
    func kill(_ i: Int) {
        lock.withLock {
            if let p = members[i].process, p.isRunning {
                Foundation.kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
                _ = leftovers.withLock { $0.pids.remove(p.processIdentifier) }
            }
            members[i].process = nil
        }
    }

    /// Waits until every running member answers and the cluster has a leader (a write goes through).
    func waitUntilReady(timeout: Duration = .seconds(30)) async throws {
        let store = try makeStore(requestTimeout: .seconds(2))
        try await withRunningStore(store) { store in
            let deadline = ContinuousClock.now + timeout
            while true {
                do {
                    _ = try await store.currentRevision()
                    return
                } catch {
                    if ContinuousClock.now > deadline { throw error }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    func stop() {
        for i in members.indices { kill(i) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// Runs `body` with `store` running, then closes it.
func withRunningStore<T: Sendable>(_ store: EtcdStore, _ body: @Sendable (EtcdStore) async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await store.run()
            return nil
        }
        do {
            let result = try await body(store)
            try? await store.close()
            while let value = try await group.next() { _ = value }
            return result
        } catch {
            try? await store.close()
            group.cancelAll()
            throw error
        }
    }
}

/// Ports the kernel hands out for port 0, released for etcd to take.
enum FreePorts {
    static func take(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        return try (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            try withUnsafeMutablePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    guard bind(fd, sa, length) == 0, getsockname(fd, sa, &length) == 0 else { throw POSIXError(.EADDRINUSE) }
                }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}
