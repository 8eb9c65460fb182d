/// The figures node pressure is judged on, sampled every status update.
struct NodeReadings: Sendable, Hashable {
    var memoryAvailableBytes: Int64
    var nodefsCapacityBytes: Int64
    var nodefsAvailableBytes: Int64
    var pidMax: Int64
    var processes: Int64

    /// Samples the machine: MemAvailable, the data directory's filesystem, and process counts.
    static func sample(dataDirectory: String) -> NodeReadings {
        let memory = MachineReader.meminfo(MachineReader.readFile("/proc/meminfo") ?? "")
        let fs = MachineReader.filesystem(dataDirectory)
        let pidMax = Int64(MachineReader.readFile("/proc/sys/kernel/pid_max")?.trimmed ?? "") ?? 32768
        return NodeReadings(memoryAvailableBytes: memory["MemAvailable"] ?? memory["MemFree"] ?? 0,
                            nodefsCapacityBytes: fs?.capacity ?? 0, nodefsAvailableBytes: fs?.available ?? 0,
                            pidMax: pidMax, processes: processCount(MachineReader.readFile("/proc/loadavg") ?? ""))
    }

    /// Total tasks from `/proc/loadavg` (its fourth field is `running/total`).
    static func processCount(_ loadavg: String) -> Int64 {
        let fields = loadavg.split(separator: " ")
        guard fields.count >= 4 else { return 0 }
        return Int64(fields[3].split(separator: "/").last ?? "") ?? 0
    }
}

/// The hard eviction thresholds: upstream's defaults for memory and nodefs, and a PID threshold
/// (upstream has none by default; this agent reports PIDPressure below 5% of `pid_max` free).
struct EvictionThresholds: Sendable, Hashable {
    var memoryAvailableBytes: Int64 = 100 * 1024 * 1024
    var nodefsAvailableFraction: Double = 0.10
    var pidAvailableFraction: Double = 0.05

    func memoryPressure(_ r: NodeReadings) -> Bool { r.memoryAvailableBytes < memoryAvailableBytes }

    func diskPressure(_ r: NodeReadings) -> Bool {
        r.nodefsCapacityBytes > 0 && Double(r.nodefsAvailableBytes) < Double(r.nodefsCapacityBytes) * nodefsAvailableFraction
    }

    func pidPressure(_ r: NodeReadings) -> Bool {
        Double(r.pidMax - r.processes) < Double(r.pidMax) * pidAvailableFraction
    }
}
