import Foundation
import KyvernRuntime

/// `node.runtime.imageFs` of `/stats/summary`: what the runtime says it uses for images, with the
/// size and free space of the filesystem under its mount point (as upstream's kubelet adds them).
enum ImageFsSummary {
    static func object(_ usage: FilesystemUsage, time: String) -> [String: Any] {
        var object: [String: Any] = ["time": time, "usedBytes": usage.usedBytes, "inodesUsed": usage.inodesUsed]
        var fs = statvfs()
        if !usage.mountpoint.isEmpty, statvfs(usage.mountpoint, &fs) == 0 {
            let block = UInt64(fs.f_frsize)
            object["capacityBytes"] = UInt64(fs.f_blocks) * block
            object["availableBytes"] = UInt64(fs.f_bavail) * block
            object["inodes"] = UInt64(fs.f_files)
            object["inodesFree"] = UInt64(fs.f_ffree)
        }
        return object
    }
}
