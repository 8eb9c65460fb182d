import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads and writes the small credential files (PEM, token, kubeconfig) of the cluster.
///
/// Writes are atomic (a temporary file in the same directory, `fsync`, then `rename`), and the
/// file is created with its final mode, so a private key is never readable by others, not even
/// for a moment.
enum PKIFileStore {
    /// Mode for private keys, tokens and kubeconfigs.
    static let privateMode: mode_t = 0o600
    /// Mode for certificates, which are public.
    static let publicMode: mode_t = 0o644
    /// Mode for the directory holding the credentials.
    static let directoryMode: mode_t = 0o700

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Creates `directory` (and its parents) with mode 0700 if it does not exist yet.
    static func ensureDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ClusterPKIError(.fileSystem, "\(directory) exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: Int(Self.directoryMode)]
            )
        } catch {
            throw ClusterPKIError(.fileSystem, "cannot create directory \(directory): \(error)")
        }
    }

    /// Returns the file's contents as UTF-8 text, or nil if the file does not exist.
    static func readText(_ path: String) throws -> String? {
        guard Self.exists(path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClusterPKIError(.fileSystem, "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ClusterPKIError(.invalidFile, "\(path) is not UTF-8 text")
        }
        return text
    }

    /// Atomically replaces `path` with `text`, the new file having exactly `mode`.
    static func writeText(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else {
            throw ClusterPKIError(.fileSystem, "cannot create \(temporary): \(Self.errnoDescription())")
        }
        var closed = false
        defer {
            if !closed { _ = close(fd) }
        }
        // The umask may have cleared bits of `mode`; fchmod sets it exactly.
        guard fchmod(fd, mode) == 0 else {
            unlink(temporary)
            throw ClusterPKIError(.fileSystem, "cannot chmod \(temporary): \(Self.errnoDescription())")
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = Self.errnoDescription()
                unlink(temporary)
                throw ClusterPKIError(.fileSystem, "cannot write \(temporary): \(reason)")
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            let reason = Self.errnoDescription()
            unlink(temporary)
            throw ClusterPKIError(.fileSystem, "cannot fsync \(temporary): \(reason)")
        }
        closed = true
        guard close(fd) == 0 else {
            let reason = Self.errnoDescription()
            unlink(temporary)
            throw ClusterPKIError(.fileSystem, "cannot close \(temporary): \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = Self.errnoDescription()
            unlink(temporary)
            throw ClusterPKIError(.fileSystem, "cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    /// Sets `path` to `mode` if any permission bit beyond `mode` is set. Returns whether it changed.
    @discardableResult
    static func restrictPermissions(_ path: String, to mode: mode_t) throws -> Bool {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw ClusterPKIError(.fileSystem, "cannot stat \(path): \(error)")
        }
        guard let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue else {
            throw ClusterPKIError(.fileSystem, "cannot read the permissions of \(path)")
        }
        let current = mode_t(permissions) & 0o777
        guard current & ~mode != 0 else { return false }
        guard chmod(path, mode) == 0 else {
            throw ClusterPKIError(.fileSystem, "cannot chmod \(path): \(Self.errnoDescription())")
        }
        return true
    }

    private static func errnoDescription() -> String {
        String(cString: strerror(errno))
    }
}
