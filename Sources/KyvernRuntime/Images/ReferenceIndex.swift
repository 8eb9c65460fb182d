import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The store's table of names: normalised reference → the manifest it resolved to. Kept as one JSON file
/// replaced atomically; read-modify-write happens under an exclusive `flock`, so a CLI import and the
/// server's pull cannot lose each other's entries.
struct ReferenceIndex: Codable, Sendable, Equatable {
    struct Entry: Codable, Sendable, Equatable {
        /// Digest of the image manifest (a blob in the store).
        var manifest: String
        /// Digest of the image config: the image id.
        var config: String
        /// `repository@sha256:…` when the manifest came from a registry or an OCI layout; nil for a
        /// `docker save` archive, whose manifest the store wrote itself.
        var repoDigest: String?
    }

    var references: [String: Entry] = [:]

    static func load(from path: String) throws -> ReferenceIndex {
        guard let data = FileManager.default.contents(atPath: path) else { return ReferenceIndex() }
        do {
            return try JSONDecoder().decode(ReferenceIndex.self, from: data)
        } catch {
            throw ImageError(.corrupt, "image index \(path) is unreadable: \(error)")
        }
    }

    /// Runs `change` on the current index under the lock and writes the result back.
    @discardableResult
    static func update<T>(at path: String, _ change: (inout ReferenceIndex) throws -> T) throws -> T {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ImageError(.unavailable, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ImageError(.unavailable, "cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        var index = try load(from: path)
        let before = index
        let result = try change(&index)
        if index != before {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(index), to: path)
        }
        return result
    }
}

/// Files appear whole or not at all: written beside their final name, synced, then renamed.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let temp = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: temp, contents: data) else {
            throw ImageError(.unavailable, "cannot write \(temp)")
        }
        try rename(temp, to: path)
    }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: from)
            throw ImageError(.unavailable, "cannot rename \(from) to \(to): \(message)")
        }
    }
}
