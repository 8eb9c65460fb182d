/// Made-up but consistent addresses for simulated node `index`: nothing is routed to them, yet
/// every node has a distinct InternalIP and pod range, and every pod a distinct IP, as tools expect.
///
/// Node addresses come from 172.16.0.0/12 and pod ranges (one /24 per node) from 10.128.0.0/9,
/// which keeps both clear of Kyvern's default Service range 10.43.0.0/16.
enum NodeAddressing {
    /// 172.16.0.1 for node 0, counting up.
    static func internalIP(_ index: Int) -> String {
        let address = (172 << 24 | 16 << 16) + index + 1
        return dotted(address)
    }

    /// 10.128.0.0/24 for node 0, 10.128.1.0/24 for node 1, ...
    static func podCIDR(_ index: Int) -> String {
        dotted(podNetwork(index)) + "/24"
    }

    /// The address of `slot` (2...254) in node `index`'s pod range.
    static func podIP(node index: Int, slot: Int) -> String {
        dotted(podNetwork(index) + slot)
    }

    /// The slot of `ip` if it lies in node `index`'s pod range.
    static func slot(of ip: String, node index: Int) -> Int? {
        let parts = ip.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 4, parts.allSatisfy({ (0...255).contains($0) }) else { return nil }
        let address = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
        guard address & ~0xFF == podNetwork(index) else { return nil }
        return parts[3]
    }

    private static func podNetwork(_ index: Int) -> Int {
        (10 << 24 | 128 << 16) + index << 8
    }

    private static func dotted(_ address: Int) -> String {
        "\(address >> 24 & 0xFF).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }
}

/// Hands out pod IPs from each node's /24 (.2 to .254), one per pod uid, and takes them back.
struct PodIPAllocator: Sendable {
    static let slots = 2...254
    private var used: [Int: Set<Int>] = [:]
    private var byPod: [String: (node: Int, slot: Int)] = [:]

    /// The pod's address: the one it already has, else the lowest free one; nil when the range is full.
    mutating func allocate(pod uid: String, node: Int) -> String? {
        if let held = byPod[uid], held.node == node {
            return NodeAddressing.podIP(node: node, slot: held.slot)
        }
        release(pod: uid)
        let taken = used[node, default: []]
        guard let slot = Self.slots.first(where: { !taken.contains($0) }) else { return nil }
        used[node, default: []].insert(slot)
        byPod[uid] = (node, slot)
        return NodeAddressing.podIP(node: node, slot: slot)
    }

    /// Records an address a pod already carries (after a restart of the agent).
    mutating func reserve(pod uid: String, node: Int, ip: String) {
        guard byPod[uid] == nil, let slot = NodeAddressing.slot(of: ip, node: node), Self.slots.contains(slot),
              !used[node, default: []].contains(slot) else { return }
        used[node, default: []].insert(slot)
        byPod[uid] = (node, slot)
    }

    mutating func release(pod uid: String) {
        guard let held = byPod.removeValue(forKey: uid) else { return }
        used[held.node]?.remove(held.slot)
    }

    var podUIDs: Set<String> { Set(byPod.keys) }
}
