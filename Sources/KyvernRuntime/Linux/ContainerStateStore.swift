#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// The runtime's records on disk, shared by the runc and process runtimes: a new instance on the same
/// directory sees every sandbox and container (the shims keep running without the agent).
struct ContainerStateStore: Sendable {
    let root: String
    /// Sandbox and container records as decoded last, while their files are unchanged.
    let records = RecordCache()

    init(root: String) throws {
        self.root = root
        try FileSystem.makeDirectory(root + "/sandboxes", mode: 0o700)
        try FileSystem.makeDirectory(root + "/containers", mode: 0o700)
    }

    func sandboxDirectory(_ id: String) -> String { root + "/sandboxes/" + id }
    func containerDirectory(_ id: String) -> String { root + "/containers/" + id }
    func files(_ id: String) -> ContainerStateFiles { ContainerStateFiles(directory: containerDirectory(id)) }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // MARK: Sandboxes

    func sandbox(_ id: String) throws -> SandboxRecord {
        guard isSafeID(id), let record = records.read(SandboxRecord.self, from: sandboxDirectory(id) + "/sandbox.json") else {
            throw RuntimeError.sandboxNotFound(id)
        }
        return record
    }

    func save(_ record: SandboxRecord) throws {
        try records.write(record, to: sandboxDirectory(record.id) + "/sandbox.json")
    }

    func sandboxes() -> [SandboxRecord] {
        let ids = FileSystem.listDirectory(root + "/sandboxes")
        records.retain(under: root + "/sandboxes/", keep: Set(ids.map { sandboxDirectory($0) + "/sandbox.json" }))
        return ids.compactMap { try? sandbox($0) }.sorted { $0.createdAt < $1.createdAt }
    }

    // MARK: Containers

    func container(_ id: String) throws -> ContainerRecord {
        guard isSafeID(id), let record = records.read(ContainerRecord.self, from: containerDirectory(id) + "/container.json") else {
            throw RuntimeError.containerNotFound(id)
        }
        return record
    }

    func save(_ record: ContainerRecord) throws {
        try records.write(record, to: containerDirectory(record.id) + "/container.json")
    }

    func containers() -> [ContainerRecord] {
        let ids = FileSystem.listDirectory(root + "/containers")
        records.retain(under: root + "/containers/", keep: Set(ids.map { containerDirectory($0) + "/container.json" }))
        return ids.compactMap { try? container($0) }.sorted { $0.createdAt < $1.createdAt }
    }

    func started(_ id: String) -> StartedRecord? { StateFile.read(StartedRecord.self, from: files(id).started) }
    func exited(_ id: String) -> ShimExit? { StateFile.read(ShimExit.self, from: files(id).exit) }

    /// The container's state from its records: exited once the shim wrote `exit.json`, running while
    /// its shim or its process lives, exited with an unknown code if both vanished without a record.
    func status(_ record: ContainerRecord) -> ContainerStatus {
        var status = ContainerStatus(id: record.id, sandboxID: record.sandboxID, metadata: record.config.metadata, state: .created,
                                     createdAt: record.createdAt, image: record.config.image, imageID: record.imageID,
                                     logPath: record.logPath, labels: record.config.labels, annotations: record.config.annotations)
        guard let started = started(record.id) else { return status }
        status.startedAt = started.startedAt
        if let exit = exited(record.id) {
            status.state = .exited
            status.exitCode = exit.exitCode
            status.finishedAt = exit.finishedAt
            status.reason = exit.reason
        } else if ChildProcess.isAlive(started.shimPID) || ChildProcess.isAlive(started.pid) {
            // A container whose shim was killed still runs (unmonitored): report it as running so
            // that it is stopped, not started a second time.
            status.state = .running
            status.pid = started.pid
        } else {
            status.state = .exited
            status.exitCode = 255
            status.finishedAt = Date()
            status.reason = "Error"
            status.message = "the container's monitor exited without recording an exit code"
        }
        return status
    }

    /// Ids come from the agent; refuse anything that could leave the state directory.
    func isSafeID(_ id: String) -> Bool {
        !id.isEmpty && !id.contains("/") && id != "." && id != ".."
    }
}
