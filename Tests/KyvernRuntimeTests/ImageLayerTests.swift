import Foundation
import Testing
@testable import KyvernRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory removed when the test ends.
final class ImageScratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "kyvern-image-test-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ text: String) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    /// A gzipped tar of `dir` (made with the system tar), its path and uncompressed digest.
    func layer(of dir: String, gzip: Bool = true) async throws -> (blob: String, diffID: String) {
        let tar = path + "/\(UUID().uuidString).tar"
        try await LayerUnpacker.runChecked(["tar", "-c", "-f", tar, "-C", dir, "."], what: "tar")
        let diffID = try DigestHasher.digest(ofFile: tar).digest
        guard gzip else { return (tar, diffID) }
        try await LayerUnpacker.runChecked(["gzip", "-n", tar], what: "gzip")
        return (tar + ".gz", diffID)
    }
}

func overlayAttribute(_ path: String) -> String? {
    typealias GetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "getxattr") else { return nil }
    let getxattr = unsafeBitCast(symbol, to: GetXattr.self)
    var buffer = [UInt8](repeating: 0, count: 16)
    let n = buffer.withUnsafeMutableBytes { getxattr(path, "trusted.overlay.opaque", $0.baseAddress, 16) }
    return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
}

@Suite(.enabled(if: getuid() == 0, "whiteouts are character devices and trusted xattrs: root only"))
struct ImageLayerTests {
    @Test func whiteoutsBecomeOverlayfsWhiteouts() async throws {
        let s = try ImageScratch()
        try s.write("src/etc/.wh.passwd", "")
        try s.write("src/etc/hostname", "node")
        try s.write("src/var/cache/.wh..wh..opq", "")
        try s.write("src/var/cache/kept", "x")
        try s.write("src/.wh..wh.plnk/junk", "")
        let (blob, diffID) = try await s.layer(of: s.path + "/src")
        let out = s.path + "/out"
        try FileManager.default.createDirectory(atPath: s.path + "/scratch", withIntermediateDirectories: false)
        try await LayerUnpacker.unpack(blob: blob, diffID: diffID, into: out, scratch: s.path + "/scratch")

        var st = stat()
        #expect(lstat(out + "/etc/passwd", &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFCHR)
        #expect(st.st_rdev == 0)
        #expect(!FileManager.default.fileExists(atPath: out + "/etc/.wh.passwd"))
        #expect(FileManager.default.contents(atPath: out + "/etc/hostname") == Data("node".utf8))
        #expect(overlayAttribute(out + "/var/cache") == "y")
        #expect(overlayAttribute(out + "/etc") == nil)
        #expect(!FileManager.default.fileExists(atPath: out + "/var/cache/.wh..wh..opq"))
        #expect(FileManager.default.fileExists(atPath: out + "/var/cache/kept"))
        // No scratch tar is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path + "/scratch").isEmpty)
    }

    @Test func plainTarLayersUnpackToo() async throws {
        let s = try ImageScratch()
        try s.write("src/hello", "world")
        let (blob, diffID) = try await s.layer(of: s.path + "/src", gzip: false)
        #expect(try !LayerUnpacker.isGzip(blob))
        try FileManager.default.createDirectory(atPath: s.path + "/scratch", withIntermediateDirectories: false)
        try await LayerUnpacker.unpack(blob: blob, diffID: diffID, into: s.path + "/out", scratch: s.path + "/scratch")
        #expect(FileManager.default.contents(atPath: s.path + "/out/hello") == Data("world".utf8))
    }

    @Test func layerThatDoesNotMatchItsDiffIDIsRejected() async throws {
        let s = try ImageScratch()
        try s.write("src/hello", "world")
        let (blob, _) = try await s.layer(of: s.path + "/src")
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        try FileManager.default.createDirectory(atPath: s.path + "/scratch", withIntermediateDirectories: false)
        let error = await #expect(throws: ImageError.self) {
            try await LayerUnpacker.unpack(blob: blob, diffID: wrong, into: s.path + "/out", scratch: s.path + "/scratch")
        }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.hasPrefix("layer \(wrong) does not match its content: uncompressed digest is sha256:") == true)
        #expect(!FileManager.default.fileExists(atPath: s.path + "/out"))
    }

    @Test func truncatedGzipIsRejected() async throws {
        let s = try ImageScratch()
        try s.write("src/hello", String(repeating: "data ", count: 10000))
        let (blob, diffID) = try await s.layer(of: s.path + "/src")
        let data = try Data(contentsOf: URL(fileURLWithPath: blob))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: blob))
        try FileManager.default.createDirectory(atPath: s.path + "/scratch", withIntermediateDirectories: false)
        let error = await #expect(throws: ImageError.self) {
            try await LayerUnpacker.unpack(blob: blob, diffID: diffID, into: s.path + "/out", scratch: s.path + "/scratch")
        }
        #expect(error?.message.hasPrefix("decompressing layer failed: ") == true)
    }

    @Test func digestsOfBytesAndFiles() throws {
        let s = try ImageScratch()
        try s.write("abc", "abc")
        let expected = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(DigestHasher.digest(of: Data("abc".utf8)) == expected)
        let file = try DigestHasher.digest(ofFile: s.path + "/abc")
        #expect(file.digest == expected)
        #expect(file.size == 3)
        #expect(throws: ImageError.self) { try DigestHasher.hex(of: "sha256:../../etc/passwd") }
    }
}
