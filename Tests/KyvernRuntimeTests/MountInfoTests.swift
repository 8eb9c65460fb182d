import Foundation
import Glibc
import Testing
@testable import KyvernRuntime

@Suite struct MountInfoTests {
    /// Past the first page of /proc/self/mountinfo (about 40 mounts) a reader trusting `stat` saw
    /// nothing, so a container's overlay was never unmounted and its directory stayed (EBUSY).
    @Test func mountsBeyondTheFirstPageAreSeenAndAnOverlayIsUnmountedWithoutTheTable() throws {
        guard getuid() == 0 else { return }
        let base = NSTemporaryDirectory() + "kyvern-mountinfo-" + UUID().uuidString.prefix(8)
        var mounted: [String] = []
        defer {
            for path in mounted.reversed() { umount2(path, Int32(MNT_DETACH)) }
            try? FileManager.default.removeItem(atPath: base)
        }
        for index in 0..<60 {
            let path = base + "/m\(index)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try #require(mount("tmpfs", path, "tmpfs", 0, "size=64k") == 0)
            mounted.append(path)
        }
        let resolved = String(cString: realpath(base, nil))
        let points = Set(MountInfo.mountPoints())
        #expect((0..<60).allSatisfy { points.contains(resolved + "/m\($0)") })
        #expect(MountInfo.consistentRead("/proc/self/mountinfo")?.utf8.count ?? 0 > 4096)

        let last = mounted.removeLast()
        try OverlayMount.unmount(last)
        #expect(!MountInfo.isMountPoint(resolved + "/m59"))
        try OverlayMount.unmount(last)  // not mounted any more: fine
        try FileManager.default.removeItem(atPath: last)
    }

    /// The per-path answer (statx) agrees with the table: a tmpfs mounted on a directory, a bind
    /// mount of a directory onto another on the same filesystem (same device, so a device
    /// comparison would miss it), a plain directory, a missing path.
    @Test func aMountPointIsToldByThePathItselfAsTheTableSaysIt() throws {
        #expect(MountInfo.isMountPoint("/"))
        #expect(MountInfo.isMountPoint("/proc"))
        #expect(!MountInfo.isMountPoint("/no/such/path-\(UUID().uuidString)"))
        guard getuid() == 0 else { return }
        let base = String(cString: realpath(NSTemporaryDirectory(), nil)) + "/kyvern-mountroot-" + UUID().uuidString.prefix(8)
        let tmpfs = base + "/t", source = base + "/s", bound = base + "/b", plain = base + "/p"
        for path in [tmpfs, source, bound, plain] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        var mounted: [String] = []
        defer {
            for path in mounted.reversed() { umount2(path, Int32(MNT_DETACH)) }
            try? FileManager.default.removeItem(atPath: base)
        }
        try #require(mount("tmpfs", tmpfs, "tmpfs", 0, "size=64k") == 0)
        mounted.append(tmpfs)
        try #require(mount(source, bound, nil, UInt(MS_BIND), nil) == 0)
        mounted.append(bound)
        let table = Set(MountInfo.mountPoints())
        for path in [tmpfs, bound, plain, source] {
            #expect(MountInfo.isMountPoint(path) == table.contains(path), "\(path)")
        }
        #expect(MountInfo.isMountPoint(tmpfs) && MountInfo.isMountPoint(bound))
        #expect(!MountInfo.isMountPoint(plain) && !MountInfo.isMountPoint(tmpfs + "/inside"))
    }
}
