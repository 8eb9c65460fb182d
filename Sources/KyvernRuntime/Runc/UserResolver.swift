/// Resolves the image's `user` (`uid`, `uid:gid`, `name`, `name:group`) against the container's
/// /etc/passwd and /etc/group, then applies the pod's runAsUser/runAsGroup/supplementalGroups.
struct UserResolver: Sendable {
    /// Contents of the root filesystem's /etc/passwd and /etc/group (empty when absent).
    var passwd: String
    var group: String

    func resolve(imageUser: String, security: LinuxContainerSecurityContext) throws -> OCISpec.User {
        var uid: UInt32 = 0
        var gid: UInt32? = nil
        if !imageUser.isEmpty {
            let parts = imageUser.split(separator: ":", maxSplits: 1).map(String.init)
            if let number = UInt32(parts[0]) {
                uid = number
            } else if let entry = passwdEntry(name: parts[0]) {
                uid = entry.uid
                gid = entry.gid
            } else {
                throw RuntimeError.commandFailed(command: "resolve user", exitCode: 1,
                                                 output: "no users found matching \(parts[0]) in /etc/passwd")
            }
            if parts.count > 1 {
                if let number = UInt32(parts[1]) {
                    gid = number
                } else if let found = groupID(name: parts[1]) {
                    gid = found
                } else {
                    throw RuntimeError.commandFailed(command: "resolve group", exitCode: 1,
                                                     output: "no groups found matching \(parts[1]) in /etc/group")
                }
            }
        }
        if let runAsUser = security.runAsUser {
            uid = UInt32(truncatingIfNeeded: runAsUser)
            if security.runAsGroup == nil, gid == nil { gid = passwdEntry(uid: uid)?.gid }
        }
        if gid == nil { gid = passwdEntry(uid: uid)?.gid ?? 0 }
        if let runAsGroup = security.runAsGroup { gid = UInt32(truncatingIfNeeded: runAsGroup) }
        let additional = security.supplementalGroups.map { UInt32(truncatingIfNeeded: $0) }
        return OCISpec.User(uid: uid, gid: gid ?? 0, additionalGids: additional.isEmpty ? nil : additional)
    }

    private func passwdEntry(name: String) -> (uid: UInt32, gid: UInt32)? {
        passwdEntries().first { $0.name == name }.map { ($0.uid, $0.gid) }
    }

    private func passwdEntry(uid: UInt32) -> (uid: UInt32, gid: UInt32)? {
        passwdEntries().first { $0.uid == uid }.map { ($0.uid, $0.gid) }
    }

    private func passwdEntries() -> [(name: String, uid: UInt32, gid: UInt32)] {
        passwd.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
            return (String(fields[0]), uid, gid)
        }
    }

    private func groupID(name: String) -> UInt32? {
        for line in group.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, fields[0] == Substring(name), let gid = UInt32(fields[2]) { return gid }
        }
        return nil
    }
}
