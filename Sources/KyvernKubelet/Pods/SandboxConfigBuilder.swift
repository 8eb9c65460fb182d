import KyvernAPI
import KyvernRuntime

/// Turns a pod into the runtime's sandbox config, as upstream's kuberuntime does.
struct SandboxConfigBuilder: Sendable {
    var logRoot: String
    var clusterDNS: [String]
    var clusterDomain: String
    /// The node's own resolver settings (from `/etc/resolv.conf`), for dnsPolicy Default.
    var hostDNS: DNSConfig
    var nodeName: String

    func config(for pod: JSONValue, attempt: Int = 0) -> PodSandboxConfig {
        let facts = PodFacts(pod: pod)
        let spec = facts.spec
        var labels = pod[path: ["metadata", "labels"]]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        labels[RuntimeLabels.podUID] = facts.uid
        labels[RuntimeLabels.podName] = facts.name
        labels[RuntimeLabels.podNamespace] = facts.namespace
        let annotations = pod[path: ["metadata", "annotations"]]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        var sysctls: [String: String] = [:]
        for sysctl in spec[path: ["securityContext", "sysctls"]]?.arrayValue ?? [] {
            if let name = sysctl["name"]?.stringValue { sysctls[name] = sysctl["value"]?.stringValue ?? "" }
        }
        return PodSandboxConfig(
            metadata: PodSandboxMetadata(name: facts.name, namespace: facts.namespace, uid: facts.uid, attempt: attempt),
            hostname: hostname(pod),
            logDirectory: "\(logRoot)/\(facts.namespace)_\(facts.name)_\(facts.uid)",
            dnsConfig: dns(pod),
            portMappings: portMappings(pod),
            labels: labels, annotations: annotations,
            cgroupParent: "/kyvern/pod\(facts.uid)",
            namespaceOptions: NamespaceOptions(hostNetwork: facts.hostNetwork, hostPID: spec["hostPID"] == .bool(true),
                                               hostIPC: spec["hostIPC"] == .bool(true)),
            sysctls: sysctls)
    }

    /// spec.hostname, else the pod name cut to 63 characters (without a trailing dot or dash);
    /// the node's name for host-network pods.
    func hostname(_ pod: JSONValue) -> String {
        let facts = PodFacts(pod: pod)
        if facts.hostNetwork { return nodeName }
        if let name = facts.spec["hostname"]?.stringValue, !name.isEmpty { return name }
        var name = String(facts.name.prefix(63))
        while name.hasSuffix("-") || name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// dnsPolicy ClusterFirst (the default; Default for host-network pods unless
    /// ClusterFirstWithHostNet), Default, or None, then `dnsConfig` merged in.
    func dns(_ pod: JSONValue) -> DNSConfig {
        let facts = PodFacts(pod: pod)
        var policy = facts.spec["dnsPolicy"]?.stringValue ?? "ClusterFirst"
        if policy == "ClusterFirst" && facts.hostNetwork { policy = "Default" }
        if policy == "ClusterFirstWithHostNet" { policy = "ClusterFirst" }
        var config: DNSConfig
        switch policy {
        case "None":
            config = DNSConfig()
        case "ClusterFirst" where !clusterDNS.isEmpty:
            let domain = clusterDomain
            config = DNSConfig(servers: clusterDNS,
                               searches: ["\(facts.namespace).svc.\(domain)", "svc.\(domain)", domain] + hostDNS.searches,
                               options: ["ndots:5"])
        default:
            // Default, or ClusterFirst with no cluster DNS configured (upstream falls back likewise).
            config = hostDNS
        }
        if let extra = facts.spec["dnsConfig"] {
            config.servers += (extra["nameservers"]?.arrayValue ?? []).compactMap(\.stringValue)
            for search in (extra["searches"]?.arrayValue ?? []).compactMap(\.stringValue) where !config.searches.contains(search) {
                config.searches.append(search)
            }
            for option in extra["options"]?.arrayValue ?? [] {
                guard let name = option["name"]?.stringValue else { continue }
                config.options.removeAll { $0 == name || $0.hasPrefix(name + ":") }
                config.options.append(option["value"]?.stringValue.map { "\(name):\($0)" } ?? name)
            }
        }
        config.searches = Array(config.searches.prefix(32))
        config.servers = Array(config.servers.prefix(3))
        return config
    }

    /// Every container port with a hostPort.
    func portMappings(_ pod: JSONValue) -> [PortMapping] {
        PodFacts(pod: pod).containers.flatMap { container in
            (container["ports"]?.arrayValue ?? []).compactMap { port -> PortMapping? in
                guard let hostPort = port["hostPort"]?.intValue, hostPort > 0,
                      let containerPort = port["containerPort"]?.intValue else { return nil }
                let proto = PortMapping.PortProtocol(rawValue: port["protocol"]?.stringValue ?? "TCP") ?? .tcp
                return PortMapping(portProtocol: proto, containerPort: Int(containerPort), hostPort: Int(hostPort),
                                   hostIP: port["hostIP"]?.stringValue ?? "")
            }
        }
    }

    /// Name servers, search domains and options of a resolv.conf.
    static func parseResolvConf(_ text: String) -> DNSConfig {
        var config = DNSConfig()
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first, !key.hasPrefix("#") else { continue }
            switch key {
            case "nameserver": config.servers += words.dropFirst().prefix(1)
            case "search", "domain": config.searches = Array(words.dropFirst())
            case "options": config.options += words.dropFirst()
            default: break
            }
        }
        return config
    }
}
