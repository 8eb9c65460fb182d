import Foundation
import Testing
@testable import KyvernRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The runtime's cache of decoded records: reused while the file is unchanged, never stale.
@Suite struct RuncRecordCacheTests {
    struct Note: Codable, Sendable, Equatable {
        var text: String
    }

    func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "kyvern-record-cache-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func anUnchangedFileIsNotDecodedAgain() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/note.json"
        let cache = RecordCache()
        try StateFile.write(Note(text: "one"), to: path)
        #expect(cache.read(Note.self, from: path) == Note(text: "one"))
        // Garbage written in place with the old modification time: same inode, same mtime, so the
        // cache answers (a decode would fail).
        var info = stat()
        #expect(stat(path, &info) == 0)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: path), options: [])
        var times = [info.st_atim, info.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        #expect(cache.read(Note.self, from: path) == Note(text: "one"))
        #expect(StateFile.read(Note.self, from: path) == nil)
    }

    @Test func rewritesAndRemovalsAreSeen() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/note.json"
        let cache = RecordCache()
        let other = RecordCache()  // another runtime instance (or process) on the same directory
        for round in 0..<20 {
            try cache.write(Note(text: "mine \(round)"), to: path)
            #expect(cache.read(Note.self, from: path) == Note(text: "mine \(round)"))
            #expect(other.read(Note.self, from: path) == Note(text: "mine \(round)"))
            try other.write(Note(text: "theirs \(round)"), to: path)
            #expect(cache.read(Note.self, from: path) == Note(text: "theirs \(round)"))
        }
        try FileManager.default.removeItem(atPath: path)
        #expect(cache.read(Note.self, from: path) == nil)
    }
}
