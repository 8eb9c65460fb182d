package import Foundation

/// Appends lines to a log file and, as upstream's log backend (lumberjack) does, moves it aside
/// to `<name>-<UTC time><ext>` when the next line would pass `maxSize`, then keeps at most
/// `maxBackups` old files (0: all) and none older than `maxAge` (nil: no limit).
///
/// Not thread-safe: one owner (the audit sink's writer task) uses it.
package final class RotatingFileWriter {
    package let path: String
    package let maxSize: Int
    package let maxBackups: Int
    package let maxAge: TimeInterval?
    private var handle: FileHandle?
    private var size = 0
    /// The clock, replaceable so tests can give each rotation its own stamp.
    package var now: () -> Date = Date.init

    package init(path: String, maxSize: Int, maxBackups: Int = 0, maxAge: TimeInterval? = nil) {
        self.path = path
        self.maxSize = maxSize
        self.maxBackups = maxBackups
        self.maxAge = maxAge
    }

    deinit { try? handle?.close() }

    package func write(_ bytes: [UInt8]) throws {
        if handle == nil { try openExisting() }
        if size > 0, size + bytes.count > maxSize { try rotate() }
        try handle?.write(contentsOf: bytes)
        size += bytes.count
    }

    /// The directory's backups of this log, newest first.
    package func backups() -> [(path: String, time: Date)] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let (prefix, ext) = Self.split(url.lastPathComponent)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (String, Date)? in
            guard name.hasPrefix(prefix + "-"), name.hasSuffix(ext), name.count > prefix.count + 1 + ext.count else { return nil }
            let stamp = String(name.dropFirst(prefix.count + 1).dropLast(ext.count))
            guard let time = AuditTimestamp.parseBackupStamp(stamp) else { return nil }
            return (directory + "/" + name, time.date)
        }.sorted { $0.1 > $1.1 }
    }

    private func openExisting() throws {
        let manager = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        size = Int(try handle.seekToEnd())
        self.handle = handle
    }

    private func rotate() throws {
        try handle?.close()
        handle = nil
        let url = URL(fileURLWithPath: path)
        let (prefix, ext) = Self.split(url.lastPathComponent)
        let backup = url.deletingLastPathComponent().appendingPathComponent(
            "\(prefix)-\(AuditTimestamp(now()).backupStamp)\(ext)").path
        try? FileManager.default.removeItem(atPath: backup)
        try FileManager.default.moveItem(atPath: path, toPath: backup)
        try openExisting()
        prune()
    }

    private func prune() {
        var old = backups()
        if maxBackups > 0, old.count > maxBackups {
            for file in old[maxBackups...] { try? FileManager.default.removeItem(atPath: file.path) }
            old = Array(old[..<maxBackups])
        }
        if let maxAge {
            let cutoff = now().addingTimeInterval(-maxAge)
            for file in old where file.time < cutoff { try? FileManager.default.removeItem(atPath: file.path) }
        }
    }

    /// `audit.log` → (`audit`, `.log`).
    private static func split(_ name: String) -> (String, String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }
}
