import Foundation
import Glibc
import KyvernRuntime

/// The node's mounts as the kernel lists them, and tmpfs mounting and unmounting.
enum MountTable {
    /// Mount points listed in /proc/self/mountinfo (read whole and consistently), octal escapes decoded.
    static func mountPoints() -> [String] {
        MountInfo.mountPoints()
    }

    /// Whether something is mounted exactly at `path`.
    static func isMountPoint(_ path: String) -> Bool {
        MountInfo.isMountPoint(canonical(path))
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

    /// A /proc file read to its end (see ``MountInfo``).
    static func readWhole(_ path: String) -> String? {
        MountInfo.readWhole(path)
    }

    /// The path with symlinks resolved, as mountinfo lists it.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// A mount or unmount the kernel refused.
struct VolumeMountError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
