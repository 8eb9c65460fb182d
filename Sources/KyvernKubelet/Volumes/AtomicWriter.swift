import Foundation
import Glibc

/// Writes a volume's files the way upstream's kubelet does, so a running container never sees a
/// half-written update: the files go into a fresh timestamped directory (`..2026_11_26_17_07_25.123`),
/// then the `..data` symlink is swapped to it in one rename, and each top-level name in the volume
/// is a symlink through `..data`. Readers holding the old directory open keep reading it until
/// it is removed.
struct AtomicWriter {
    static let dataDirectory = "..data"
    let target: String

    /// Writes `payload` unless the volume already holds exactly it; returns whether it wrote.
    @discardableResult
    func write(_ payload: Payload) throws(AtomicWriterError) -> Bool {
        for path in payload.keys { try Self.validate(path) }
        let fileManager = FileManager.default
        let dataLink = target + "/" + Self.dataDirectory
        let oldDirectory = try? fileManager.destinationOfSymbolicLink(atPath: dataLink)
        if let oldDirectory, current(oldDirectory) == payload { return false }

        let stamp = Self.timestamp()
        let newName = "..\(stamp).\(UInt32.random(in: 0...UInt32.max))"
        let newDirectory = target + "/" + newName
        do {
            try fileManager.createDirectory(atPath: newDirectory, withIntermediateDirectories: false,
                                            attributes: [.posixPermissions: 0o755])
            for (path, file) in payload {
                let full = newDirectory + "/" + path
                let parent = (full as NSString).deletingLastPathComponent
                try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
                try Data(file.data).write(to: URL(fileURLWithPath: full))
                guard chmod(full, mode_t(file.mode)) == 0 else { throw AtomicWriterError("chmod \(full): \(errnoText())") }
            }
        } catch let error as AtomicWriterError {
            try? fileManager.removeItem(atPath: newDirectory)
            throw error
        } catch {
            try? fileManager.removeItem(atPath: newDirectory)
            throw AtomicWriterError("writing \(newDirectory): \(error.localizedDescription)")
        }

        // The swap: a new symlink renamed over the old one is atomic.
        let temporaryLink = target + "/..data_tmp"
        unlink(temporaryLink)
        guard symlink(newName, temporaryLink) == 0 else { throw AtomicWriterError("symlink \(temporaryLink): \(errnoText())") }
        guard rename(temporaryLink, dataLink) == 0 else { throw AtomicWriterError("rename \(temporaryLink): \(errnoText())") }

        let newTopLevel = Set(payload.keys.map { String($0.split(separator: "/").first ?? "") })
        for name in newTopLevel {
            let link = target + "/" + name
            if (try? fileManager.destinationOfSymbolicLink(atPath: link)) == nil {
                guard symlink(Self.dataDirectory + "/" + name, link) == 0 else {
                    throw AtomicWriterError("symlink \(link): \(errnoText())")
                }
            }
        }
        let existing = (try? fileManager.contentsOfDirectory(atPath: target)) ?? []
        for name in existing where !name.hasPrefix("..") && !newTopLevel.contains(name) {
            try? fileManager.removeItem(atPath: target + "/" + name)
        }
        if let oldDirectory, oldDirectory != newName, !oldDirectory.contains("/") {
            try? fileManager.removeItem(atPath: target + "/" + oldDirectory)
        }
        return true
    }

    /// The files (and modes) in the data directory `name`, or nil if it cannot be read.
    private func current(_ name: String) -> Payload? {
        let base = target + "/" + name
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return nil }
        var payload: Payload = [:]
        while let relative = enumerator.nextObject() as? String {
            let full = base + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full) else { return nil }
            if attributes[.type] as? FileAttributeType == .typeDirectory { continue }
            guard let data = FileManager.default.contents(atPath: full),
                  let mode = (attributes[.posixPermissions] as? NSNumber)?.uint32Value else { return nil }
            payload[relative] = FileProjection(data: Array(data), mode: mode & 0o7777)
        }
        return payload
    }

    /// Upstream's rules for a path inside a volume: relative, no `..` element, not starting with `..`.
    static func validate(_ path: String) throws(AtomicWriterError) {
        if path.isEmpty { throw AtomicWriterError("invalid path: must not be empty") }
        if path.hasPrefix("/") { throw AtomicWriterError("invalid path: must be relative path: \(path)") }
        if path.split(separator: "/").contains("..") { throw AtomicWriterError("invalid path: must not contain '..': \(path)") }
        if path.hasPrefix("..") { throw AtomicWriterError("invalid path: must not start with '..': \(path)") }
    }

    /// `2006_01_02_15_04_05` in UTC, as upstream names its data directories.
    static func timestamp(_ date: Date = Date()) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)_\(two(parts.tm_mon + 1))_\(two(parts.tm_mday))_"
            + "\(two(parts.tm_hour))_\(two(parts.tm_min))_\(two(parts.tm_sec))"
    }

    private func errnoText() -> String { String(cString: strerror(errno)) }
}

/// The volume's files could not be written.
struct AtomicWriterError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
