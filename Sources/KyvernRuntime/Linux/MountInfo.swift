#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CKyvernLinux

/// This mount namespace's mount points, read from /proc/self/mountinfo so that they can be trusted
/// while other mounts come and go.
///
/// Two traps made mounts go unseen: Foundation reads /proc files only as far as `stat` says (0, so
/// one page, some 40 mounts), and the kernel builds the file page by page, so a mount added or
/// removed between two reads shifts the rest and a line can be skipped. The file is therefore read
/// to its end, and again until two reads agree, as upstream's mount utilities do.
package enum MountInfo {
    /// Mount points, octal escapes (`\040` for a space) decoded.
    package static func mountPoints() -> [String] {
        guard let text = consistentRead("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            return fields.count > 4 ? unescape(String(fields[4])) : nil
        }
    }

    /// Whether something is mounted exactly at `path` (given as mountinfo lists it: resolved).
    /// Asked of the path itself (statx's mount-root attribute, Linux 5.8+), not the whole table:
    /// with 100 containers' mounts, reading the table for each new one was some 6 % of a busy
    /// node's CPU. The table is the fallback where the kernel cannot say.
    package static func isMountPoint(_ path: String) -> Bool {
        switch kyvern_is_mount_root(path) {
        case 1: return true
        case 0: return false
        case -ENOENT, -ENOTDIR: return false
        default: return mountPoints().contains(path)
        }
    }

    /// `path` read whole, repeatedly until two reads agree (at most a few times; the last read is
    /// returned when the table never settles).
    package static func consistentRead(_ path: String, attempts: Int = 4) -> String? {
        guard var previous = readWhole(path) else { return nil }
        for _ in 1..<max(attempts, 2) {
            guard let next = readWhole(path) else { return nil }
            if next == previous { return next }
            previous = next
        }
        return previous
    }

    /// A /proc file read to its end, however large, whatever size `stat` reports.
    package static func readWhole(_ path: String) -> String? {
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
