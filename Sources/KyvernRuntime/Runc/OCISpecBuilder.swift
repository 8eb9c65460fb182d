/// Builds a container's config.json from its config, its sandbox and its image, with containerd's
/// defaults for what a pod does not say (capabilities, mounts, masked paths, rlimits).
struct OCISpecBuilder: Sendable {
    var config: ContainerConfig
    var sandbox: PodSandboxConfig
    /// The sandbox's network namespace path; empty for host-network pods.
    var networkNamespacePath: String
    /// Host files made for the sandbox, bind-mounted unless the pod mounts the same path itself.
    var hostsPath: String?
    var resolvConfPath: String?
    var hostnamePath: String?
    var process: ProcessPlan
    var user: OCISpec.User
    var cgroupsPath: String

    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability the kernel defines, in number order, for privileged containers and `ALL`.
    static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    static let maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]

    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The default set with the pod's drops and adds applied (`ALL` allowed in either, names with or
    /// without `CAP_`); everything when privileged.
    static func capabilities(_ requested: Capabilities, privileged: Bool) -> [String] {
        if privileged { return allCapabilities }
        func normalized(_ name: String) -> String {
            let upper = name.uppercased()
            return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
        }
        let drops = requested.drop.map(normalized)
        let adds = requested.add.map(normalized)
        var result = drops.contains("CAP_ALL") ? [] : defaultCapabilities.filter { !drops.contains($0) }
        let additions = adds.contains("CAP_ALL") ? allCapabilities : adds
        for capability in additions where !result.contains(capability) { result.append(capability) }
        return result
    }

    static func resources(_ resources: LinuxResources) -> OCISpec.Resources {
        var cpu: OCISpec.CPU? = nil
        if resources.cpuShares != nil || resources.cpuQuota != nil || resources.cpuPeriod != nil {
            cpu = OCISpec.CPU(shares: resources.cpuShares.map { UInt64(max(2, $0)) }, quota: resources.cpuQuota,
                              period: resources.cpuPeriod.map { UInt64(max(0, $0)) })
        }
        return OCISpec.Resources(
            devices: [OCISpec.DeviceRule(allow: false, access: "rwm")],
            memory: resources.memoryLimitInBytes.map { OCISpec.Memory(limit: $0) },
            cpu: cpu,
            pids: resources.pidsLimit.map { OCISpec.Pids(limit: $0) })
    }

    func build() -> OCISpec {
        let security = config.securityContext
        let capabilities = Self.capabilities(security.capabilities, privileged: security.privileged)
        let hostNetwork = sandbox.namespaceOptions.hostNetwork
        var namespaces = [OCISpec.Namespace(type: "mount")]
        if !sandbox.namespaceOptions.hostPID { namespaces.append(.init(type: "pid")) }
        if !sandbox.namespaceOptions.hostIPC { namespaces.append(.init(type: "ipc")) }
        if !hostNetwork {
            namespaces.append(.init(type: "uts"))
            namespaces.append(.init(type: "network", path: networkNamespacePath.isEmpty ? nil : networkNamespacePath))
        }

        var mounts: [OCISpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs",
                  options: ["nosuid", "noexec", "nodev", security.privileged ? "rw" : "ro"]),
            .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                  options: ["nosuid", "noexec", "nodev", "relatime", security.privileged ? "rw" : "ro"]),
        ]
        let podPaths = Set(config.mounts.map(\.containerPath))
        for (destination, source) in [("/etc/hostname", hostnamePath), ("/etc/hosts", hostsPath), ("/etc/resolv.conf", resolvConfPath)] {
            guard let source, !podPaths.contains(destination) else { continue }
            mounts.append(.init(destination: destination, type: "bind", source: source,
                                options: ["rbind", "rprivate", config.securityContext.readOnlyRootFilesystem ? "ro" : "rw"]))
        }
        for mount in config.mounts {
            mounts.append(.init(destination: mount.containerPath, type: "bind", source: mount.hostPath,
                                options: ["rbind", "rprivate", mount.readOnly ? "ro" : "rw"]))
        }

        var resources = Self.resources(config.resources)
        if security.privileged { resources.devices = [OCISpec.DeviceRule(allow: true, access: "rwm")] }
        return OCISpec(
            process: .init(user: user, args: process.arguments, env: process.environment, cwd: process.workingDirectory,
                           capabilities: .init(bounding: capabilities, effective: capabilities, permitted: capabilities),
                           rlimits: [.init(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)],
                           noNewPrivileges: security.noNewPrivileges),
            root: .init(path: "rootfs", readonly: security.readOnlyRootFilesystem),
            hostname: hostNetwork || sandbox.hostname.isEmpty ? nil : sandbox.hostname,
            mounts: mounts,
            linux: .init(namespaces: namespaces, cgroupsPath: cgroupsPath, resources: resources,
                         sysctl: sandbox.sysctls.isEmpty ? nil : sandbox.sysctls,
                         maskedPaths: security.privileged ? nil : Self.maskedPaths,
                         readonlyPaths: security.privileged ? nil : Self.readonlyPaths))
    }
}
