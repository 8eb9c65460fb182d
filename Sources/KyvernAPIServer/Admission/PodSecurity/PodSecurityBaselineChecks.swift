import KyvernAPI

/// The baseline level's checks (upstream's IDs and wording, as of 1.36): they forbid known
/// privilege escalations while leaving default pods alone.
enum PodSecurityBaselineChecks {
    typealias Text = PodSecurityText

    static let all: [PodSecurityCheck] = [
        .init(id: "appArmorProfile", level: .baseline, evaluate: appArmorProfile),
        .init(id: "capabilities_baseline", level: .baseline, evaluate: capabilities),
        .init(id: "hostNamespaces", level: .baseline, evaluate: hostNamespaces),
        .init(id: "hostPathVolumes", level: .baseline, evaluate: hostPathVolumes),
        .init(id: "hostPorts", level: .baseline, evaluate: hostPorts),
        .init(id: "hostProbesAndHostLifecycle", level: .baseline, evaluate: hostProbesAndLifecycle),
        .init(id: "privileged", level: .baseline, evaluate: privileged),
        .init(id: "procMount", level: .baseline, evaluate: { $0.usesUserNamespace ? nil : procMount($0) }),
        .init(id: "seLinuxOptions", level: .baseline, evaluate: seLinuxOptions),
        .init(id: "seccompProfile_baseline", level: .baseline, evaluate: seccompProfile),
        .init(id: "sysctls", level: .baseline, evaluate: sysctls),
        .init(id: "windowsHostProcess", level: .baseline, evaluate: windowsHostProcess),
    ]

    static let allowedCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    /// The namespaced, safe sysctls allowed as of the 1.32 policy (the newest in 1.36).
    static let allowedSysctls: Set<String> = [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    ]

    static let allowedSELinuxTypes: Set<String> = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]

    static func hostNamespaces(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let host = ["hostNetwork", "hostPID", "hostIPC"].filter { pod.spec[$0]?.boolValue == true }.map { "\($0)=true" }
        return host.isEmpty ? nil : .init(reason: "host namespaces", detail: host.joined(separator: ", "))
    }

    static func privileged(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let bad = pod.containers.filter { $0[path: ["securityContext", "privileged"]]?.boolValue == true }
            .map(PodSecurityPod.name)
        return bad.isEmpty ? nil : .init(reason: "privileged",
                                         detail: "\(Text.containers(bad)) must not set securityContext.privileged=true")
    }

    static func capabilities(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var bad: [String] = []
        var forbidden: Set<String> = []
        for container in pod.containers {
            let added = (container[path: ["securityContext", "capabilities", "add"]]?.arrayValue ?? []).compactMap(\.stringValue)
            let extra = added.filter { !allowedCapabilities.contains($0) }
            if !extra.isEmpty {
                bad.append(PodSecurityPod.name(container))
                forbidden.formUnion(extra)
            }
        }
        guard !bad.isEmpty else { return nil }
        return .init(reason: "non-default capabilities", detail:
            "\(Text.containers(bad)) must not include \(Text.joinQuote(forbidden.sorted())) in securityContext.capabilities.add")
    }

    static func hostPathVolumes(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let bad = (pod.spec["volumes"]?.arrayValue ?? []).filter { $0["hostPath"] != nil && $0["hostPath"] != .null }
            .map { $0["name"]?.stringValue ?? "" }
        guard !bad.isEmpty else { return nil }
        return .init(reason: "hostPath volumes", detail: "\(Text.pluralize("volume", "volumes", bad.count)) \(Text.joinQuote(bad))")
    }

    static func hostPorts(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var bad: [String] = []
        var ports: Set<String> = []
        for container in pod.containers {
            let used = (container["ports"]?.arrayValue ?? []).compactMap { $0["hostPort"]?.intValue }.filter { $0 != 0 }
            if !used.isEmpty {
                bad.append(PodSecurityPod.name(container))
                ports.formUnion(used.map { String($0) })
            }
        }
        guard !bad.isEmpty else { return nil }
        return .init(reason: "hostPort", detail: "\(Text.containers(bad)) \(Text.pluralize("uses", "use", bad.count)) "
            + "\(Text.pluralize("hostPort", "hostPorts", ports.count)) \(ports.sorted().joined(separator: ", "))")
    }

    static func hostProbesAndLifecycle(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var bad: Set<String> = []
        var hosts: Set<String> = []
        for container in pod.containers {
            let handlers = ["livenessProbe", "readinessProbe", "startupProbe"].compactMap { container[$0] }
                + ["postStart", "preStop"].compactMap { container[path: ["lifecycle", $0]] }
            for handler in handlers {
                let named = ["httpGet", "tcpSocket"].compactMap { handler[path: [$0, "host"]]?.stringValue }.filter { !$0.isEmpty }
                if !named.isEmpty {
                    bad.insert(PodSecurityPod.name(container))
                    hosts.formUnion(named)
                }
            }
        }
        guard !bad.isEmpty else { return nil }
        return .init(reason: "probe or lifecycle host", detail: "\(Text.containers(bad.sorted())) \(Text.pluralize("uses", "use", bad.count)) "
            + "\(Text.pluralize("probe or lifecycle host", "probe or lifecycle hosts", hosts.count)) \(Text.joinQuote(hosts.sorted()))")
    }

    /// Shared with restricted's `procMount_restricted`, which applies it even in a user namespace.
    static func procMount(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var bad: [String] = []
        var types: Set<String> = []
        for container in pod.containers {
            if let mount = container[path: ["securityContext", "procMount"]]?.stringValue, mount != "Default" {
                bad.append(PodSecurityPod.name(container))
                types.insert(mount)
            }
        }
        guard !bad.isEmpty else { return nil }
        return .init(reason: "procMount",
                     detail: "\(Text.containers(bad)) must not set securityContext.procMount to \(Text.joinQuote(types.sorted()))")
    }

    static func seLinuxOptions(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var badTypes: Set<String> = []
        var setUser = false, setRole = false
        func valid(_ options: JSONValue?) -> Bool {
            guard let options, options != .null else { return true }
            var ok = true
            let type = options["type"]?.stringValue ?? ""
            if !allowedSELinuxTypes.contains(type) { ok = false; badTypes.insert(type) }
            if !(options["user"]?.stringValue ?? "").isEmpty { ok = false; setUser = true }
            if !(options["role"]?.stringValue ?? "").isEmpty { ok = false; setRole = true }
            return ok
        }
        var setters: [String] = []
        if !valid(pod.podSecurityContext?["seLinuxOptions"]) { setters.append("pod") }
        let bad = pod.containers.filter { !valid($0[path: ["securityContext", "seLinuxOptions"]]) }.map(PodSecurityPod.name)
        if !bad.isEmpty { setters.append(Text.containers(bad)) }
        guard !setters.isEmpty else { return nil }
        var data: [String] = []
        if !badTypes.isEmpty {
            data.append("\(Text.pluralize("type", "types", badTypes.count)) \(Text.joinQuote(badTypes.sorted()))")
        }
        if setUser { data.append("user may not be set") }
        if setRole { data.append("role may not be set") }
        return .init(reason: "seLinuxOptions", detail: "\(setters.joined(separator: " and ")) set forbidden "
            + "securityContext.seLinuxOptions: \(data.joined(separator: "; "))")
    }

    static func validSeccomp(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }

    static func seccompProfile(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var setters: [String] = []
        var values: Set<String> = []
        if let type = pod.podSecurityContext?[path: ["seccompProfile", "type"]]?.stringValue, !validSeccomp(type) {
            setters.append("pod")
            values.insert(type)
        }
        var bad: [String] = []
        for container in pod.containers {
            if let type = container[path: ["securityContext", "seccompProfile", "type"]]?.stringValue, !validSeccomp(type) {
                bad.append(PodSecurityPod.name(container))
                values.insert(type)
            }
        }
        if !bad.isEmpty { setters.append(Text.containers(bad)) }
        guard !setters.isEmpty else { return nil }
        return .init(reason: "seccompProfile", detail: "\(setters.joined(separator: " and ")) must not set "
            + "securityContext.seccompProfile.type to \(Text.joinQuote(values.sorted()))")
    }

    static func sysctls(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        let names = (pod.podSecurityContext?["sysctls"]?.arrayValue ?? []).map { $0["name"]?.stringValue ?? "" }
        let bad = names.filter { !allowedSysctls.contains($0) }
        return bad.isEmpty ? nil : .init(reason: "forbidden sysctls", detail: bad.joined(separator: ", "))
    }

    static func appArmorProfile(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        func allowed(_ type: String) -> Bool { type == "RuntimeDefault" || type == "Localhost" }
        var setters: [String] = []
        var values: Set<String> = []
        if let type = pod.podSecurityContext?[path: ["appArmorProfile", "type"]]?.stringValue, !allowed(type) {
            setters.append("pod")
            values.insert(type)
        }
        var bad: [String] = []
        for container in pod.containers {
            if let type = container[path: ["securityContext", "appArmorProfile", "type"]]?.stringValue, !allowed(type) {
                bad.append(PodSecurityPod.name(container))
                values.insert(type)
            }
        }
        if !bad.isEmpty { setters.append(Text.containers(bad)) }
        let annotations = pod.annotations.filter { key, value in
            key.hasPrefix("container.apparmor.security.beta.kubernetes.io/")
                && !(value.isEmpty || value == "runtime/default" || value.hasPrefix("localhost/"))
        }.map { "\($0.key)=\(Text.quote($0.value))" }.sorted()
        var list = values.sorted()
        if !annotations.isEmpty {
            list += annotations
            setters.append(Text.pluralize("annotation", "annotations", annotations.count))
        }
        guard !setters.isEmpty else { return nil }
        return .init(reason: Text.pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", list.count),
                     detail: "\(setters.joined(separator: " and ")) must not set AppArmor profile type to \(Text.joinQuote(list))")
    }

    static func windowsHostProcess(_ pod: PodSecurityPod) -> PodSecurityViolation? {
        var setters: [String] = []
        if pod.podSecurityContext?[path: ["windowsOptions", "hostProcess"]]?.boolValue == true { setters.append("pod") }
        let bad = pod.containers.filter { $0[path: ["securityContext", "windowsOptions", "hostProcess"]]?.boolValue == true }
            .map(PodSecurityPod.name)
        if !bad.isEmpty { setters.append(Text.containers(bad)) }
        guard !setters.isEmpty else { return nil }
        return .init(reason: "hostProcess",
                     detail: "\(setters.joined(separator: " and ")) must not set securityContext.windowsOptions.hostProcess=true")
    }
}
