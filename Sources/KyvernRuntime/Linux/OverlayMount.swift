#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// A container's root filesystem: the image's layers read-only below, a per-container upper
/// directory for its writes.
enum OverlayMount {
    /// The mount options for `layers` given bottom first (overlayfs lists the top layer first).
    static func options(layers: [String], upper: String, work: String) -> String {
        "lowerdir=" + layers.reversed().joined(separator: ":") + ",upperdir=" + upper + ",workdir=" + work
    }

    static func mount(layers: [String], upper: String, work: String, target: String) throws {
        guard !layers.isEmpty else { throw SystemError("overlay without layers", code: EINVAL) }
        for directory in [upper, work, target] { try FileSystem.makeDirectory(directory) }
        if isMountPoint(target) { return }
        let data = options(layers: layers, upper: upper, work: work)
        guard Glibc.mount("overlay", target, "overlay", 0, data) == 0 else {
            throw SystemError("mount overlay on \(target)")
        }
    }

    /// Detaches the mount; not mounted is fine. No look at the mount table first: the kernel's
    /// EINVAL says "not a mount point" without the table's races.
    static func unmount(_ target: String) throws {
        guard umount2(target, Int32(MNT_DETACH)) == 0 || errno == EINVAL || errno == ENOENT else {
            throw SystemError("umount \(target)")
        }
    }

    /// Whether `path` is listed in this mount namespace's mount table.
    static func isMountPoint(_ path: String) -> Bool {
        MountInfo.isMountPoint(path)
    }
}
