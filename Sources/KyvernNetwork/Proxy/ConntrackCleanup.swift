/// Which conntrack entries to delete after a sync: UDP has no connection end, so a client keeps
/// sending to an endpoint that left the rotation until its entry is removed (upstream clears them
/// the same way), and packets that were rejected while a UDP Service had no endpoints leave
/// entries without DNAT that must go once endpoints appear.
package enum ConntrackCleanup {
    /// `conntrack` argument lists for the change from `old` to `new` (each entry's endpoints
    /// as categorised for `nodeName`).
    package static func commands(old: [RuleBuilder.Entry], new: [RuleBuilder.Entry], nodeName: String) -> [[String]] {
        func used(_ entries: [RuleBuilder.Entry]) -> [PortKey: (ServicePortSpec, Set<String>)] {
            var result: [PortKey: (ServicePortSpec, Set<String>)] = [:]
            for entry in entries where entry.port.proto == .udp {
                let categories = EndpointCategories(port: entry.port, endpoints: entry.endpoints, nodeName: nodeName)
                result[PortKey(name: entry.port.name, proto: entry.port.proto)] =
                    (entry.port, Set((categories.cluster + categories.local).map(\.ip)))
            }
            return result
        }
        let before = used(old)
        let after = used(new)
        var commands: [[String]] = []
        for (key, (port, ips)) in before.sorted(by: { $0.key.name < $1.key.name }) {
            let remaining = after[key]?.1 ?? []
            for ip in ips.subtracting(remaining).sorted() {
                for clusterIP in port.clusterIPs {
                    commands.append(["-D", "-p", "udp", "--orig-dst", clusterIP, "--dst-nat", ip])
                }
                if let nodePort = port.nodePort {
                    commands.append(["-D", "-p", "udp", "--orig-port-dst", String(nodePort), "--dst-nat", ip])
                }
            }
        }
        for (key, (port, ips)) in after.sorted(by: { $0.key.name < $1.key.name }) where !ips.isEmpty {
            guard before[key]?.1.isEmpty ?? true else { continue }
            for clusterIP in port.clusterIPs {
                commands.append(["-D", "-p", "udp", "--orig-dst", clusterIP, "--orig-port-dst", String(port.port)])
            }
            if let nodePort = port.nodePort {
                commands.append(["-D", "-p", "udp", "--orig-port-dst", String(nodePort)])
            }
        }
        return commands
    }

    struct PortKey: Hashable {
        var name: ServicePortName
        var proto: ProxyProtocol
    }

    /// Runs `commands`; `conntrack -D` exits 1 when nothing matched, which is not an error.
    package static func run(_ commands: [[String]], namespace: String? = nil) async -> Int {
        var deleted = 0
        for arguments in commands {
            let ok = if let namespace {
                (try? await ProxyCommand.run("ip", ["netns", "exec", namespace, "conntrack"] + arguments)) != nil
            } else {
                (try? await ProxyCommand.run("conntrack", arguments)) != nil
            }
            guard ok else { continue }
            deleted += 1
        }
        return deleted
    }
}
