import Foundation
import Glibc

/// The node's mounts as the kernel lists them, and tmpfs mounting and unmounting.
enum MountTable {
    /// Mount points listed in /proc/self/mountinfo, octal escapes (`\040` for a space) decoded.
    static func mountPoints() -> [String] {
        guard let text = readWhole("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            return fields.count > 4 ? unescape(String(fields[4])) : nil
        }
    }

    /// Whether something is mounted exactly at `path`.
    static func isMountPoint(_ path: String) -> Bool {
        let path = canonical(path)
        return mountPoints().contains(path)
    }

    /// Mount points at or below `directory`, deepest first (the order to unmount them in).
    static func mounts(under directory: String) -> [String] {
        let base = canonical(directory)
        return Set(mountPoints().filter { $0 == base || $0.hasPrefix(base + "/") })
            .sorted { $0.count > $1.count }
    }

    /// Mounts a tmpfs of `sizeBytes` (0: the kernel's default, half the memory) at `path`.
    static func mountTmpfs(at path: String, sizeBytes: Int64) throws(VolumeMountError) {
        let options = sizeBytes > 0 ? "size=\(sizeBytes)" : ""
        guard mount("tmpfs", path, "tmpfs", 0, options) == 0 else {
            throw VolumeMountError("mount failed: tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Unmounts `path`, lazily when it is busy (a container may still hold it open).
    static func unmount(_ path: String) throws(VolumeMountError) {
        if umount2(path, 0) == 0 { return }
        let first = errno
        if first == EINVAL || first == ENOENT { return }
        guard umount2(path, Int32(MNT_DETACH)) == 0 else {
            throw VolumeMountError("unmount failed: \(path): \(String(cString: strerror(first)))")
        }
    }

    /// A /proc file read to its end. Foundation's `String(contentsOfFile:)` trusts the size `stat`
    /// reports, which is 0 for /proc files, and returns only the first page (about 4 KB): with more
    /// than some 40 mounts the later ones were missing, so a pod's tmpfs volumes went unseen and its
    /// directory could not be removed (EBUSY).
    static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The path with symlinks resolved, as mountinfo lists it.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.first {
            if byte == UInt8(ascii: "\\"), utf8.count >= 4,
               let value = UInt8(String(decoding: utf8.dropFirst().prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(4)
            } else {
                bytes.append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A mount or unmount the kernel refused.
struct VolumeMountError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
