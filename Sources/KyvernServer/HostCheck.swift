import Foundation

/// `kyvern check`, in the spirit of `k3s check-config`: what this machine has and lacks for real
/// containers, and how to fix each gap. Files are read below `root` (`/` on a real machine) and
/// tools looked up in `path`, so tests can build a machine of their own.
public struct HostCheck: Sendable {
    public struct Finding: Sendable, Equatable {
        public enum State: String, Sendable { case ok, missing, warning }
        public var name: String
        public var state: State
        /// What was found, or what is wrong.
        public var detail: String
        /// How to fix it (empty when ok).
        public var fix: String
    }

    public var root: String
    public var path: [String]
    public var isRoot: Bool

    public init(root: String = "/", path: [String]? = nil, isRoot: Bool? = nil) {
        self.root = root
        self.path = path ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        self.isRoot = isRoot ?? (getuid() == 0)
    }

    /// The CNI plugins the node agent runs (Debian's containernetworking-plugins).
    public static let cniPlugins = ["bridge", "host-local", "loopback", "portmap"]
    static let controllers = ["cpu", "memory", "pids"]

    public func run() -> [Finding] {
        [user(), runc(), cgroups(), overlay(), cni(), packetFilter(), forwarding(), bridgeFiltering()]
    }

    /// 0 when nothing is missing (warnings do not count), 1 otherwise.
    public static func exitCode(_ findings: [Finding]) -> Int32 {
        findings.contains { $0.state == .missing } ? 1 : 0
    }

    /// One line per finding, `- name: ok (detail)` or `- name: missing (detail)` then `fix: …`.
    public static func report(_ findings: [Finding]) -> String {
        var lines: [String] = []
        for finding in findings {
            lines.append("- \(finding.name): \(finding.state.rawValue) (\(finding.detail))")
            if !finding.fix.isEmpty { lines.append("    fix: \(finding.fix)") }
        }
        let missing = findings.filter { $0.state == .missing }.count
        lines.append(missing == 0 ? "This machine can run real containers."
                     : "\(missing) thing\(missing == 1 ? "" : "s") missing for real containers; without them kyvern runs pods as plain processes.")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: checks

    func user() -> Finding {
        isRoot ? .init(name: "root", state: .ok, detail: "running as root", fix: "")
            : .init(name: "root", state: .missing, detail: "running as uid \(getuid())",
                    fix: "run kyvern server as root (containers need namespaces, mounts and cgroups)")
    }

    func runc() -> Finding {
        guard let found = tool("runc") else {
            return .init(name: "runc", state: .missing, detail: "not found in PATH", fix: "apt-get install runc")
        }
        return .init(name: "runc", state: .ok, detail: found, fix: "")
    }

    func cgroups() -> Finding {
        let base = file("sys/fs/cgroup")
        if let text = read("sys/fs/cgroup/cgroup.controllers") {
            let present = Set(text.split(whereSeparator: \.isWhitespace).map(String.init))
            let lacking = Self.controllers.filter { !present.contains($0) }
            return lacking.isEmpty ? .init(name: "cgroups", state: .ok, detail: "cgroup v2 with cpu, memory, pids", fix: "")
                : .init(name: "cgroups", state: .missing, detail: "cgroup v2 without \(lacking.joined(separator: ", "))",
                        fix: "enable the controllers in \(base)/cgroup.subtree_control")
        }
        let lacking = Self.controllers.filter { !FileManager.default.fileExists(atPath: base + "/" + $0) }
        if lacking.count == Self.controllers.count {
            return .init(name: "cgroups", state: .missing, detail: "no cgroup hierarchy at \(base)",
                         fix: "mount cgroup2 at /sys/fs/cgroup (or the v1 cpu, memory and pids hierarchies)")
        }
        return lacking.isEmpty ? .init(name: "cgroups", state: .ok, detail: "cgroup v1 with cpu, memory, pids", fix: "")
            : .init(name: "cgroups", state: .missing, detail: "cgroup v1 without \(lacking.joined(separator: ", "))",
                    fix: "mount the \(lacking.joined(separator: ", ")) hierarchies under \(base)")
    }

    func overlay() -> Finding {
        let filesystems = read("proc/filesystems") ?? ""
        if filesystems.split(separator: "\n").contains(where: { $0.hasSuffix("\toverlay") || $0 == "nodev\toverlay" }) {
            return .init(name: "overlayfs", state: .ok, detail: "overlay in /proc/filesystems", fix: "")
        }
        return .init(name: "overlayfs", state: .missing, detail: "overlay not in /proc/filesystems",
                     fix: "modprobe overlay (and add it to /etc/modules)")
    }

    func cni() -> Finding {
        let directory = file("usr/lib/cni")
        let lacking = Self.cniPlugins.filter { !FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
        return lacking.isEmpty ? .init(name: "CNI plugins", state: .ok, detail: "\(Self.cniPlugins.joined(separator: ", ")) in /usr/lib/cni", fix: "")
            : .init(name: "CNI plugins", state: .missing, detail: "\(lacking.joined(separator: ", ")) not in /usr/lib/cni",
                    fix: "apt-get install containernetworking-plugins")
    }

    func packetFilter() -> Finding {
        let tools = ["nft", "iptables"].compactMap { name in tool(name).map { _ in name } }
        return tools.isEmpty ? .init(name: "iptables/nftables", state: .missing, detail: "neither nft nor iptables found",
                                     fix: "apt-get install nftables iptables")
            : .init(name: "iptables/nftables", state: .ok, detail: tools.joined(separator: " and "), fix: "")
    }

    func forwarding() -> Finding {
        let value = read("proc/sys/net/ipv4/ip_forward")?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value == "1" ? .init(name: "ip_forward", state: .ok, detail: "net.ipv4.ip_forward = 1", fix: "")
            : .init(name: "ip_forward", state: .missing, detail: "net.ipv4.ip_forward = \(value ?? "unknown")",
                    fix: "sysctl -w net.ipv4.ip_forward=1 (and set it in /etc/sysctl.conf); pods cannot leave the node without it")
    }

    func bridgeFiltering() -> Finding {
        FileManager.default.fileExists(atPath: file("proc/sys/net/bridge"))
            ? .init(name: "br_netfilter", state: .ok, detail: "bridge traffic reaches the packet filter", fix: "")
            : .init(name: "br_netfilter", state: .warning,
                    detail: "not loaded: NetworkPolicy cannot filter pods on one bridge",
                    fix: "modprobe br_netfilter")
    }

    // MARK: helpers

    func file(_ relative: String) -> String {
        (root as NSString).appendingPathComponent(relative)
    }

    func read(_ relative: String) -> String? {
        try? String(contentsOfFile: file(relative), encoding: .utf8)
    }

    func tool(_ name: String) -> String? {
        for directory in path {
            let candidate = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
