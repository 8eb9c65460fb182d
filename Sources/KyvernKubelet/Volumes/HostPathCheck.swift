import Foundation
import CoreFoundation
import Glibc

/// `hostPath.type` checks, with upstream's creation rules and messages.
enum HostPathCheck {
    static func check(path: String, type: String) throws(PayloadError) {
        var info = stat()
        let exists = stat(path, &info) == 0
        let format = info.st_mode & S_IFMT
        switch type {
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
            if !exists || format != S_IFDIR { throw PayloadError("hostPath type check failed: \(path) is not a directory") }
        case "FileOrCreate" where !exists:
            let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw PayloadError("open \(path): \(String(cString: strerror(errno)))") }
            close(descriptor)
        case "FileOrCreate", "File":
            if !exists || format != S_IFREG { throw PayloadError("hostPath type check failed: \(path) is not a file") }
        case "Socket":
            if !exists || format != S_IFSOCK { throw PayloadError("hostPath type check failed: \(path) is not a socket file") }
        case "CharDevice":
            if !exists || format != S_IFCHR { throw PayloadError("hostPath type check failed: \(path) is not a character device") }
        case "BlockDevice":
            if !exists || format != S_IFBLK { throw PayloadError("hostPath type check failed: \(path) is not a block device") }
        default:
            throw PayloadError("\(type) is an invalid volume type")
        }
    }
}
