/// The per-pod files containers see at /etc/hostname, /etc/hosts and /etc/resolv.conf.
enum SandboxFiles {
    static func hosts(hostname: String, ips: [String]) -> String {
        var text = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        text += "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        for ip in ips where !hostname.isEmpty { text += "\(ip)\t\(hostname)\n" }
        return text
    }

    /// The pod's DNS settings, or the node's own file when the pod names no servers.
    static func resolvConf(_ dns: DNSConfig, nodeResolvConf: String?) -> String {
        guard !dns.servers.isEmpty || !dns.searches.isEmpty || !dns.options.isEmpty else { return nodeResolvConf ?? "" }
        var text = ""
        if !dns.searches.isEmpty { text += "search " + dns.searches.joined(separator: " ") + "\n" }
        for server in dns.servers { text += "nameserver \(server)\n" }
        if !dns.options.isEmpty { text += "options " + dns.options.joined(separator: " ") + "\n" }
        return text
    }
}
