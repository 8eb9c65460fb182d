import Foundation
import Subprocess
#if canImport(Glibc)
import Glibc
#endif

/// Turns a layer blob (gzip or plain tar) into a directory overlayfs can stack: decompressed with the
/// system `gzip`, its uncompressed digest (the diffID) checked against the image config, extracted with
/// the system `tar`, and OCI whiteouts turned into overlayfs ones.
enum LayerUnpacker {
    /// Unpacks `blob` into `destination` (which must not exist), checking the result against `diffID`.
    /// `scratch` is a private directory for the intermediate tar.
    static func unpack(blob: String, diffID: String, into destination: String, scratch: String) async throws {
        let tarPath = scratch + "/layer.tar"
        defer { try? FileManager.default.removeItem(atPath: tarPath) }
        if try isGzip(blob) {
            try await runChecked(["sh", "-c", "exec gzip -dc < \"$1\" > \"$2\"", "sh", blob, tarPath],
                                 what: "decompressing layer")
        } else {
            try FileManager.default.copyItem(atPath: blob, toPath: tarPath)
        }
        let actual = try DigestHasher.digest(ofFile: tarPath).digest
        guard actual == diffID else {
            throw ImageError(.corrupt, "layer \(diffID) does not match its content: uncompressed digest is \(actual)")
        }
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        var args = ["tar", "-x", "-f", tarPath, "-C", destination, "--numeric-owner", "-p"]
        if getuid() == 0 { args.append("--same-owner") }
        try await runChecked(args, what: "unpacking layer \(diffID)")
        try convertWhiteouts(in: destination)
    }

    static func isGzip(_ path: String) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageError(.corrupt, "cannot open \(path)") }
        defer { try? handle.close() }
        let magic = try handle.read(upToCount: 2) ?? Data()
        return magic == Data([0x1f, 0x8b])
    }

    /// Replaces `.wh.NAME` with a 0:0 character device NAME and `.wh..wh..opq` with the
    /// `trusted.overlay.opaque=y` xattr on its directory: the on-disk form overlayfs reads.
    static func convertWhiteouts(in root: String) throws {
        var markers: [String] = []
        try walk(root) { path, name in
            if name.hasPrefix(".wh.") { markers.append(path) }
        }
        for marker in markers {
            let dir = (marker as NSString).deletingLastPathComponent
            let name = (marker as NSString).lastPathComponent
            if name.hasPrefix(".wh..wh.") && name != ".wh..wh..opq" {
                // AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`), meaningless to overlayfs.
                try? FileManager.default.removeItem(atPath: marker)
                continue
            }
            guard unlink(marker) == 0 else { throw posixError("removing \(marker)") }
            if name == ".wh..wh..opq" {
                guard let setxattr = Self.setxattr else { throw ImageError(.unavailable, "setxattr is not available") }
                let rc = "y".withCString { setxattr(dir, "trusted.overlay.opaque", UnsafeRawPointer($0), 1, 0) }
                guard rc == 0 else { throw posixError("marking \(dir) opaque") }
            } else {
                let target = dir + "/" + String(name.dropFirst(4))
                _ = unlink(target)
                guard mknod(target, S_IFCHR | 0o000, 0) == 0 else { throw posixError("creating whiteout \(target)") }
            }
        }
    }

    private typealias SetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32

    /// glibc's setxattr(2) wrapper, looked up at run time: Swift's Glibc module does not include <sys/xattr.h>.
    private static let setxattr: SetXattr? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setxattr") else { return nil }
        return unsafeBitCast(symbol, to: SetXattr.self)
    }()

    /// Depth-first walk that never follows symlinks.
    private static func walk(_ dir: String, _ visit: (String, String) throws -> Void) throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in entries {
            let path = dir + "/" + name
            try visit(path, name)
            if name.hasPrefix(".wh.") { continue }
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { try walk(path, visit) }
        }
    }

    private static func posixError(_ what: String) -> ImageError {
        ImageError(.corrupt, "\(what): \(String(cString: strerror(errno)))")
    }

    /// Runs a system tool (looked up in PATH) and turns a non-zero exit into an error carrying its stderr.
    static func runChecked(_ argv: [String], what: String) async throws {
        let result: ExecutionResult<Void, DiscardedOutput, StringOutput<UTF8>>
        do {
            result = try await Subprocess.run(.name(argv[0]), arguments: Arguments(Array(argv.dropFirst())),
                                              output: .discarded, error: .string(limit: 64 * 1024))
        } catch {
            throw ImageError(.unavailable, "\(what) failed: cannot run \(argv[0]): \(error)")
        }
        guard result.terminationStatus.isSuccess else {
            let stderr = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ImageError(.corrupt, "\(what) failed: \(stderr.isEmpty ? "\(result.terminationStatus)" : stderr)")
        }
    }
}
