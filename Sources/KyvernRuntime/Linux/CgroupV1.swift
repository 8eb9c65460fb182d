#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// The node's cgroup v1 hierarchies (plus the cgroup2 mount at `unified` in hybrid mode).
///
/// runc makes a container's own cgroup and removes it on delete, but the pod's parent
/// (`/kyvern/pod<uid>`) must be made, limited and removed by the runtime in every hierarchy.
struct CgroupV1: Sendable {
    var root: String

    init(root: String = "/sys/fs/cgroup") {
        self.root = root
    }

    /// Every mounted hierarchy under the root (controllers, named ones such as `systemd`, and `unified`).
    var hierarchies: [String] {
        FileSystem.listDirectory(root).sorted().filter { name in
            var info = stat()
            return lstat(root + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        }
    }

    func path(_ hierarchy: String, _ cgroup: String) -> String {
        root + "/" + hierarchy + Self.normalized(cgroup)
    }

    /// `/a/b` form: one leading slash, no trailing one.
    static func normalized(_ cgroup: String) -> String {
        let parts = cgroup.split(separator: "/").filter { !$0.isEmpty && $0 != "." && $0 != ".." }
        return "/" + parts.joined(separator: "/")
    }

    /// Makes the cgroup in every hierarchy; cpuset children get their parent's cpus and mems so
    /// that tasks can join them.
    func create(_ cgroup: String) throws {
        let components = Self.normalized(cgroup).split(separator: "/").map(String.init)
        for hierarchy in hierarchies {
            var current = root + "/" + hierarchy
            for component in components {
                let parent = current
                current += "/" + component
                if mkdir(current, 0o755) != 0 && errno != EEXIST {
                    throw SystemError("mkdir \(current)")
                }
                if hierarchy == "cpuset" {
                    for file in ["cpuset.cpus", "cpuset.mems"] {
                        let mine = FileSystem.readString(current + "/" + file)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                        if mine.isEmpty, let inherited = FileSystem.readString(parent + "/" + file) {
                            try? FileSystem.writeInPlace(current + "/" + file, inherited)
                        }
                    }
                }
            }
        }
    }

    /// Removes the cgroup and anything left below it, deepest first; missing ones are fine.
    func remove(_ cgroup: String) {
        let normalized = Self.normalized(cgroup)
        guard normalized != "/" else { return }
        for hierarchy in hierarchies {
            removeTree(root + "/" + hierarchy + normalized)
        }
    }

    private func removeTree(_ directory: String) {
        guard FileSystem.isDirectory(directory) else { return }
        for child in FileSystem.listDirectory(directory) where FileSystem.isDirectory(directory + "/" + child) {
            removeTree(directory + "/" + child)
        }
        // A cgroup whose last task just exited may be busy for a moment.
        for _ in 0..<50 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
    }

    /// Writes the limits runc would write for the same `LinuxResources`.
    func apply(_ resources: LinuxResources, to cgroup: String) throws {
        for (hierarchy, file, value) in Self.controlValues(resources) {
            let directory = path(hierarchy, cgroup)
            guard FileSystem.isDirectory(directory) else { continue }
            try FileSystem.writeInPlace(directory + "/" + file, value)
        }
    }

    /// The v1 control files and values for `resources` (period before quota, as the kernel needs).
    static func controlValues(_ resources: LinuxResources) -> [(hierarchy: String, file: String, value: String)] {
        var values: [(String, String, String)] = []
        if let shares = resources.cpuShares { values.append(("cpu", "cpu.shares", String(max(2, shares)))) }
        if let period = resources.cpuPeriod { values.append(("cpu", "cpu.cfs_period_us", String(period))) }
        if let quota = resources.cpuQuota { values.append(("cpu", "cpu.cfs_quota_us", String(quota))) }
        if let memory = resources.memoryLimitInBytes { values.append(("memory", "memory.limit_in_bytes", String(memory))) }
        if let pids = resources.pidsLimit { values.append(("pids", "pids.max", pids > 0 ? String(pids) : "max")) }
        return values
    }

    /// Cumulative CPU time of the cgroup in nanoseconds.
    func cpuUsageNanoseconds(_ cgroup: String) -> UInt64? {
        FileSystem.readString(path("cpuacct", cgroup) + "/cpuacct.usage")
            .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Memory usage and working set (usage minus inactive file cache, never below zero).
    func memoryUsage(_ cgroup: String) -> (usage: UInt64, workingSet: UInt64)? {
        let directory = path("memory", cgroup)
        guard let usageText = FileSystem.readString(directory + "/memory.usage_in_bytes"),
              let usage = UInt64(usageText.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        let inactive = FileSystem.readString(directory + "/memory.stat").flatMap { Self.statValue($0, key: "total_inactive_file") } ?? 0
        return (usage, usage > inactive ? usage - inactive : 0)
    }

    /// The processes in the cgroup (from the memory hierarchy).
    func processes(_ cgroup: String) -> [pid_t] {
        (FileSystem.readString(path("memory", cgroup) + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// How many processes the kernel's OOM killer has killed in this memory cgroup.
    func oomKillCount(_ cgroup: String) -> UInt64 {
        FileSystem.readString(path("memory", cgroup) + "/memory.oom_control").flatMap { Self.statValue($0, key: "oom_kill") } ?? 0
    }

    /// The value of `key` in a `key value` per line file (memory.stat, memory.oom_control).
    static func statValue(_ text: String, key: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == key { return UInt64(fields[1]) }
        }
        return nil
    }
}
