import Foundation
import Glibc

/// `hostPath.type` checks, with upstream's creation rules and messages.
enum HostPathCheck {
    static func check(path: String, type: String) throws(PayloadError) {
        // The type of what the path finally names (symlinks followed, as upstream's stat does).
        let attributes = try? FileManager.default.attributesOfItem(atPath: MountTable.canonical(path))
        let exists = attributes != nil
        let format = attributes?[.type] as? FileAttributeType
        switch type {
        case "" where !exists:
            // Upstream's kubelet checks nothing here, but its runtime (containerd, CRI-O) makes a
            // missing bind-mount source as a directory; runc would refuse it, so it is made here.
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o755])
        case "":
            return
        case "DirectoryOrCreate" where !exists:
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o755])
            } catch {
                throw PayloadError("mkdir \(path): \(error.localizedDescription)")
            }
        case "DirectoryOrCreate", "Directory":
            if !exists || format != .typeDirectory { throw PayloadError("hostPath type check failed: \(path) is not a directory") }
        case "FileOrCreate" where !exists:
            let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw PayloadError("open \(path): \(String(cString: strerror(errno)))") }
            close(descriptor)
        case "FileOrCreate", "File":
            if !exists || format != .typeRegular { throw PayloadError("hostPath type check failed: \(path) is not a file") }
        case "Socket":
            if !exists || format != .typeSocket { throw PayloadError("hostPath type check failed: \(path) is not a socket file") }
        case "CharDevice":
            if !exists || format != .typeCharacterSpecial { throw PayloadError("hostPath type check failed: \(path) is not a character device") }
        case "BlockDevice":
            if !exists || format != .typeBlockSpecial { throw PayloadError("hostPath type check failed: \(path) is not a block device") }
        default:
            throw PayloadError("\(type) is an invalid volume type")
        }
    }
}
