import KyvernAPI
import KyvernRuntime

/// Turns a container of a pod into the runtime's container config: command, args, labels,
/// resources and security context as upstream's kuberuntime computes them. Environment and
/// mounts come in resolved.
enum ContainerConfigBuilder {
    static func config(pod: JSONValue, container: JSONValue, attempt: Int, env: [EnvVar], mounts: [Mount]) -> ContainerConfig {
        let facts = PodFacts(pod: pod)
        let name = container.containerName
        let strings = { (key: String) in (container[key]?.arrayValue ?? []).compactMap(\.stringValue) }
        return ContainerConfig(
            metadata: ContainerMetadata(name: name, attempt: attempt),
            image: container["image"]?.stringValue ?? "",
            command: strings("command"), args: strings("args"),
            workingDir: container["workingDir"]?.stringValue ?? "",
            env: env, mounts: mounts,
            labels: [
                RuntimeLabels.podUID: facts.uid, RuntimeLabels.podName: facts.name,
                RuntimeLabels.podNamespace: facts.namespace, RuntimeLabels.containerName: name,
            ],
            annotations: [
                RuntimeLabels.terminationGracePeriod: String(facts.spec["terminationGracePeriodSeconds"]?.intValue ?? 30),
                "io.kubernetes.container.restartCount": String(attempt),
            ],
            logPath: "\(name)/\(attempt).log",
            stdin: container["stdin"] == .bool(true), stdinOnce: container["stdinOnce"] == .bool(true),
            tty: container["tty"] == .bool(true),
            resources: resources(container),
            securityContext: securityContext(pod: pod, container: container))
    }

    static let minShares: Int64 = 2
    static let maxShares: Int64 = 262_144
    static let quotaPeriod: Int64 = 100_000
    static let minQuota: Int64 = 1000

    /// Shares from the CPU request (the limit when only a limit is set), quota from the CPU limit
    /// over a 100 ms period, the memory limit in bytes — upstream's `milliCPUToShares`/`milliCPUToQuota`.
    static func resources(_ container: JSONValue) -> LinuxResources {
        func quantity(_ kind: String, _ name: String) -> Quantity? {
            guard let text = container[path: ["resources", kind, name]]?.stringValue else { return nil }
            return try? Quantity(parsing: text)
        }
        let cpuRequest = quantity("requests", "cpu")?.milliValue ?? 0
        let cpuLimit = quantity("limits", "cpu")?.milliValue ?? 0
        let sharesFrom = cpuRequest == 0 && cpuLimit != 0 ? cpuLimit : cpuRequest
        var resources = LinuxResources(cpuShares: shares(milliCPU: sharesFrom))
        if cpuLimit > 0 {
            resources.cpuQuota = quota(milliCPU: cpuLimit)
            resources.cpuPeriod = quotaPeriod
        }
        if let memory = quantity("limits", "memory")?.value, memory > 0 { resources.memoryLimitInBytes = memory }
        return resources
    }

    static func shares(milliCPU: Int64) -> Int64 {
        guard milliCPU > 0 else { return minShares }
        return min(max(milliCPU * 1024 / 1000, minShares), maxShares)
    }

    static func quota(milliCPU: Int64) -> Int64 {
        max(milliCPU * quotaPeriod / 1000, minQuota)
    }

    /// The container's securityContext over the pod's (runAsUser, runAsGroup), plus the pod's
    /// supplementalGroups/fsGroup; allowPrivilegeEscalation false sets no_new_privs.
    static func securityContext(pod: JSONValue, container: JSONValue) -> LinuxContainerSecurityContext {
        let podContext = pod[path: ["spec", "securityContext"]] ?? [:]
        let context = container["securityContext"] ?? [:]
        var groups = (podContext["supplementalGroups"]?.arrayValue ?? []).compactMap(\.intValue)
        if let fsGroup = podContext["fsGroup"]?.intValue, !groups.contains(fsGroup) { groups.append(fsGroup) }
        let capabilities = Capabilities(
            add: (context[path: ["capabilities", "add"]]?.arrayValue ?? []).compactMap(\.stringValue),
            drop: (context[path: ["capabilities", "drop"]]?.arrayValue ?? []).compactMap(\.stringValue))
        return LinuxContainerSecurityContext(
            runAsUser: context["runAsUser"]?.intValue ?? podContext["runAsUser"]?.intValue,
            runAsGroup: context["runAsGroup"]?.intValue ?? podContext["runAsGroup"]?.intValue,
            supplementalGroups: groups,
            readOnlyRootFilesystem: context["readOnlyRootFilesystem"] == .bool(true),
            privileged: context["privileged"] == .bool(true),
            capabilities: capabilities,
            noNewPrivileges: context["allowPrivilegeEscalation"] == .bool(false))
    }
}
