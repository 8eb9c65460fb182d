/// Persistent network namespaces, bind-mounted under /var/run/netns by `ip netns`, so a sandbox's
/// network outlives the process that made it and a restarted agent finds it by name.
enum NetworkNamespace {
    static let directory = "/var/run/netns"

    static func path(name: String) -> String { directory + "/" + name }

    /// Makes the namespace and brings its loopback up; an existing one is reused.
    static func create(name: String) async throws -> String {
        let target = path(name: name)
        if !FileSystem.exists(target) {
            try await CommandRunner.check(["ip", "netns", "add", name])
        }
        try await CommandRunner.check(["ip", "-n", name, "link", "set", "lo", "up"])
        return target
    }

    /// Unmounts and deletes the namespace; a missing one is fine.
    static func remove(name: String) async throws {
        guard FileSystem.exists(path(name: name)) else { return }
        try await CommandRunner.check(["ip", "netns", "delete", name])
    }
}
