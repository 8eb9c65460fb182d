import Foundation

/// The node's own CPU and memory from /proc: cumulative busy CPU time and the working set
/// (total minus available memory).
struct NodeUsage: Sendable {
    var cpuNanoseconds: UInt64
    var memoryWorkingSetBytes: UInt64
    var memoryUsageBytes: UInt64

    static func read() -> NodeUsage? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return parse(stat: stat, meminfo: meminfo)
    }

    /// Busy = user + nice + system + irq + softirq + steal, in USER_HZ (100 per second) ticks.
    static func parse(stat: String, meminfo: String) -> NodeUsage? {
        guard let cpuLine = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = cpuLine.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return nil }
        let busyTicks = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        var memory: [String: UInt64] = [:]
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = UInt64(parts[1]) else { continue }
            memory[String(parts[0].dropLast())] = value * 1024
        }
        guard let total = memory["MemTotal"], let available = memory["MemAvailable"] else { return nil }
        let free = memory["MemFree"] ?? available
        return NodeUsage(cpuNanoseconds: busyTicks * 10_000_000, memoryWorkingSetBytes: total - min(total, available),
                         memoryUsageBytes: total - min(total, free))
    }
}
