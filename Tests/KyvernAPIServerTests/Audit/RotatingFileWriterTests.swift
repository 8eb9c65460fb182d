import Foundation
@testable import KyvernAPIServer
import Testing

@Suite("Audit log rotation")
struct RotatingFileWriterTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("audit-rotation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A writer whose clock moves one second per rotation, so each backup has its own name.
    static func writer(_ path: String, maxSize: Int, maxBackups: Int = 0, maxAge: TimeInterval? = nil,
                       start: Date = Date(timeIntervalSince1970: 1_795_775_400)) -> RotatingFileWriter {
        let writer = RotatingFileWriter(path: path, maxSize: maxSize, maxBackups: maxBackups, maxAge: maxAge)
        nonisolated(unsafe) var tick = start
        writer.now = { tick = tick.addingTimeInterval(1); return tick }
        return writer
    }

    @Test func rotatesWhenTheNextLinePassesMaxSize() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        let writer = Self.writer(path, maxSize: 25)
        let line = Array("0123456789\n".utf8)  // 11 bytes: two fit, the third rotates
        for _ in 0..<5 { try writer.write(line) }
        let backups = writer.backups()
        #expect(backups.count == 2)
        #expect(backups.map { URL(fileURLWithPath: $0.path).lastPathComponent }
            == ["audit-2026-11-27T10-30-02.000.log", "audit-2026-11-27T10-30-01.000.log"])
        for backup in backups {
            #expect(try Data(contentsOf: URL(fileURLWithPath: backup.path)).count == 22)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 11)
    }

    @Test func keepsAtMostMaxBackups() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        let writer = Self.writer(path, maxSize: 10, maxBackups: 2)
        for index in 0..<6 { try writer.write(Array("line \(index)   \n".utf8)) }
        let names = writer.backups().map { URL(fileURLWithPath: $0.path).lastPathComponent }
        #expect(names == ["audit-2026-11-27T10-30-05.000.log", "audit-2026-11-27T10-30-04.000.log"])
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) == "line 5   \n")
    }

    @Test func deletesBackupsOlderThanMaxAge() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("audit-2020-01-01T00-00-00.000.log")
        try Data("old\n".utf8).write(to: old)
        let unrelated = dir.appendingPathComponent("other-2020-01-01T00-00-00.000.log")
        try Data("x\n".utf8).write(to: unrelated)
        let writer = Self.writer(dir.appendingPathComponent("audit.log").path, maxSize: 5, maxAge: 86_400)
        try writer.write(Array("abcd\n".utf8))
        try writer.write(Array("efgh\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect(FileManager.default.fileExists(atPath: unrelated.path))
        #expect(writer.backups().count == 1)
    }

    @Test func appendsToAnExistingLog() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("audit.log").path
        try Data("first\n".utf8).write(to: URL(fileURLWithPath: path))
        try Self.writer(path, maxSize: 100).write(Array("second\n".utf8))
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) == "first\nsecond\n")
    }
}
