import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the node is made of, read once at registration from the real machine.
struct MachineInfo: Sendable, Hashable {
    var cores: Int
    var memoryBytes: Int64
    var ephemeralStorageBytes: Int64
    var kernelVersion: String
    var osImage: String
    var machineID: String
    var systemUUID: String
    var bootID: String
    var internalIP: String
}

/// Reads ``MachineInfo`` and the readings pressure is judged on; parsing is split from file access
/// so that tests feed it text.
enum MachineReader {
    static func read(dataDirectory: String, nodeName: String) -> MachineInfo {
        let machineID = (readFile("/etc/machine-id") ?? readFile("/var/lib/dbus/machine-id"))?.trimmed
            .nonEmpty ?? NodeBuilder.machineID(nodeName)
        return MachineInfo(
            cores: cores(),
            memoryBytes: meminfo(readFile("/proc/meminfo") ?? "")["MemTotal"] ?? 0,
            ephemeralStorageBytes: filesystem(dataDirectory)?.capacity ?? 0,
            kernelVersion: kernelRelease(),
            osImage: osImage(readFile("/etc/os-release") ?? ""),
            machineID: machineID,
            systemUUID: readFile("/sys/class/dmi/id/product_uuid")?.trimmed.lowercased().nonEmpty
                ?? NodeBuilder.uuid(machineID),
            bootID: readFile("/proc/sys/kernel/random/boot_id")?.trimmed ?? "",
            internalIP: internalIPv4() ?? "127.0.0.1")
    }

    /// Online CPUs, lowered to the cgroup's CPU quota when one is set (a container or VM slice).
    static func cores() -> Int {
        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let quota = cgroupCPULimit(v1Quota: readFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
                                   v1Period: readFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
                                   v2Max: readFile("/sys/fs/cgroup/cpu.max"))
        return quota.map { min(online, $0) } ?? online
    }

    /// Whole cores allowed by a cgroup quota (rounded up), nil when unlimited.
    static func cgroupCPULimit(v1Quota: String?, v1Period: String?, v2Max: String?) -> Int? {
        if let quota = v1Quota.flatMap({ Int64($0.trimmed) }), let period = v1Period.flatMap({ Int64($0.trimmed) }),
           quota > 0, period > 0 {
            return Int((quota + period - 1) / period)
        }
        if let parts = v2Max?.trimmed.split(separator: " "), parts.count == 2,
           let quota = Int64(parts[0]), let period = Int64(parts[1]), period > 0 {
            return Int((quota + period - 1) / period)
        }
        return nil
    }

    /// `/proc/meminfo` fields in bytes (the file gives kB).
    static func meminfo(_ text: String) -> [String: Int64] {
        var fields: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let words = parts[1].split(separator: " ")
            guard let value = words.first.flatMap({ Int64($0) }) else { continue }
            fields[String(parts[0])] = words.count > 1 && words[1] == "kB" ? value * 1024 : value
        }
        return fields
    }

    /// PRETTY_NAME of `/etc/os-release`, unquoted; "Linux" when absent.
    static func osImage(_ text: String) -> String {
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            var value = String(line.dropFirst("PRETTY_NAME=".count))
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return "Linux"
    }

    static func kernelRelease() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Size and free space (for unprivileged users, as `df` shows) of the filesystem holding `path`.
    static func filesystem(_ path: String) -> (capacity: Int64, available: Int64)? {
        var stats = statvfs()
        var probe = path
        while statvfs(probe, &stats) != 0 {
            guard probe != "/" else { return nil }
            probe = (probe as NSString).deletingLastPathComponent
            if probe.isEmpty { probe = "/" }
        }
        let block = Int64(stats.f_frsize)
        return (Int64(stats.f_blocks) * block, Int64(stats.f_bavail) * block)
    }

    /// The first IPv4 address of an interface that is up and not loopback.
    static func internalIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let flags = Int32(entry.pointee.ifa_flags)
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count),
                              nil, 0, NI_NUMERICHOST) == 0 else { continue }
            return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }

    static func readFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
    var nonEmpty: String? { isEmpty ? nil : self }
}
