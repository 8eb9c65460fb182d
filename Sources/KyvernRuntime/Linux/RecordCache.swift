#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Decoded JSON records by path, reused while the file is unchanged: the same inode and
/// modification time (records are replaced by rename, so a rewrite always changes the inode).
///
/// Every pod worker lists its sandbox's containers on each sync and the agent syncs every pod
/// every second; without this each listing decoded the record of every container on the node.
final class RecordCache: @unchecked Sendable {
    private struct Entry {
        var inode: UInt64
        var seconds: Int
        var nanoseconds: Int
        var record: any Sendable
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    /// The record at `path`, decoded again only when the file changed; nil when it is missing or
    /// does not decode.
    func read<T: Decodable & Sendable>(_ type: T.Type, from path: String) -> T? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            lock.withLock { _ = entries.removeValue(forKey: path) }
            return nil
        }
        let inode = UInt64(info.st_ino)
        let seconds = Int(info.st_mtim.tv_sec)
        let nanoseconds = Int(info.st_mtim.tv_nsec)
        if let entry = lock.withLock({ entries[path] }), entry.inode == inode, entry.seconds == seconds,
           entry.nanoseconds == nanoseconds, let record = entry.record as? T {
            return record
        }
        guard let record = StateFile.read(T.self, from: path) else { return nil }
        lock.withLock { entries[path] = Entry(inode: inode, seconds: seconds, nanoseconds: nanoseconds, record: record) }
        return record
    }

    /// Writes `record` to `path` (replaced by rename) and remembers it, so that this process
    /// never reads back an older version however fast the rewrites come.
    func write<T: Encodable & Sendable>(_ record: T, to path: String) throws {
        lock.withLock { _ = entries.removeValue(forKey: path) }
        try StateFile.write(record, to: path)
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        lock.withLock {
            entries[path] = Entry(inode: UInt64(info.st_ino), seconds: Int(info.st_mtim.tv_sec),
                                  nanoseconds: Int(info.st_mtim.tv_nsec), record: record)
        }
    }

    /// Forgets the records under `directory` whose path is not in `keep` (removed containers).
    func retain(under directory: String, keep: Set<String>) {
        lock.withLock {
            entries = entries.filter { !$0.key.hasPrefix(directory) || keep.contains($0.key) }
        }
    }
}
