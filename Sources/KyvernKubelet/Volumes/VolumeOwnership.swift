import Foundation
import Glibc
import KyvernAPI

/// The pod's `securityContext.fsGroup` given to a writable volume, as upstream's kubelet does it:
/// every file's group becomes fsGroup, owner and group get read-write, and directories also get
/// search and setgid (so files made later inherit the group). With `fsGroupChangePolicy:
/// OnRootMismatch` the walk is skipped when the volume's root already looks done; the root is
/// changed last, so an interrupted walk is redone next time.
enum VolumeOwnership {
    enum ChangePolicy: Sendable, Equatable {
        case always
        case onRootMismatch

        /// `Always` is the default, also for a value this node does not know.
        init(_ value: String?) { self = value == "OnRootMismatch" ? .onRootMismatch : .always }
    }

    /// The pod's fsGroup and change policy; nil when it sets none.
    static func fsGroup(of pod: JSONValue) -> (group: gid_t, policy: ChangePolicy)? {
        let context = pod[path: ["spec", "securityContext"]]
        guard let group = context?["fsGroup"]?.intValue, group >= 0, group <= Int64(UInt32.max) else { return nil }
        return (gid_t(group), ChangePolicy(context?["fsGroupChangePolicy"]?.stringValue))
    }

    static let readWrite: mode_t = 0o660
    static let search: mode_t = 0o110

    /// Gives `root` and everything below it (symlinks not followed) to `fsGroup`. Returns whether
    /// it walked (false: OnRootMismatch found the root already right). A file that cannot be
    /// changed is skipped, as upstream logs and goes on; an unreadable tree is an error.
    @discardableResult
    static func apply(to root: String, fsGroup: gid_t, policy: ChangePolicy) throws(PayloadError) -> Bool {
        let root = MountTable.canonical(root)
        if policy == .onRootMismatch && !needsChange(root, fsGroup: fsGroup) { return false }
        try walk(root) { path, entry in change(path, entry, fsGroup: fsGroup) }
        return true
    }

    /// Whether the root's group, group permissions or setgid bit are not yet what the walk sets.
    static func needsChange(_ root: String, fsGroup: gid_t) -> Bool {
        guard let root = Entry(MountTable.canonical(root)), root.isDirectory, root.group == fsGroup else { return true }
        let wanted = readWrite | search
        return root.mode & wanted != wanted || root.mode & S_ISGID == 0
    }

    private static func change(_ path: String, _ entry: Entry, fsGroup: gid_t) {
        _ = lchown(path, uid_t.max, fsGroup)
        // A symlink's mode means nothing, and chmod would change what it points to.
        if entry.isSymbolicLink { return }
        var mask = readWrite
        if entry.isDirectory { mask |= search | S_ISGID }
        // The mode read before lchown, which clears setuid/setgid on files: they are kept.
        _ = chmod(path, entry.mode | mask)
    }

    /// Children before their directory.
    private static func walk(_ path: String, _ visit: (String, Entry) -> Void) throws(PayloadError) {
        guard let entry = Entry(path) else { throw PayloadError("lstat \(path): no such file or directory") }
        if entry.isDirectory {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw PayloadError("open \(path): \(error.localizedDescription)")
            }
            for name in names { try walk(path + "/" + name, visit) }
        }
        visit(path, entry)
    }

    /// A path's type, group and permission bits (setuid/setgid/sticky included), symlinks not followed.
    struct Entry {
        var type: FileAttributeType
        var group: gid_t
        var mode: mode_t

        init?(_ path: String) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let type = attributes[.type] as? FileAttributeType,
                  let group = (attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value,
                  let mode = (attributes[.posixPermissions] as? NSNumber)?.uint32Value else { return nil }
            self.type = type
            self.group = group
            self.mode = mode & 0o7777
        }

        var isDirectory: Bool { type == .typeDirectory }
        var isSymbolicLink: Bool { type == .typeSymbolicLink }
    }
}
