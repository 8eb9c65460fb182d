/// Which node ranges of the cluster range are taken and by whom (upstream's `cidrset`): a new
/// node gets the next free range after the last one handed out, so a range released by a deleted
/// node is not given to the very next node while caches may still show the old one.
struct NodeCIDRSet: Sendable {
    let cidr: ClusterCIDR
    private var owners: [Int: String] = [:]
    private var byNode: [String: Int] = [:]
    private var next = 0

    init(cidr: ClusterCIDR) {
        self.cidr = cidr
    }

    var used: Int { owners.count }

    /// The range `node` holds, if any.
    func range(of node: String) -> String? {
        byNode[node].map(cidr.subnet)
    }

    /// Records that `node` carries `range`; ranges outside the cluster range are not ours to
    /// track. Returns false if another node already holds it.
    @discardableResult
    mutating func occupy(_ range: String, node: String) -> Bool {
        guard let index = cidr.index(of: range) else {
            release(node: node)
            return true
        }
        if let owner = owners[index], owner != node { return false }
        if let held = byNode[node], held != index { owners[held] = nil }
        owners[index] = node
        byNode[node] = index
        return true
    }

    /// The next free range for `node` (the one it already holds, if any); nil when all are taken.
    mutating func allocate(node: String) -> String? {
        if let held = byNode[node] { return cidr.subnet(held) }
        let count = cidr.subnetCount
        for step in 0..<count {
            let index = (next + step) % count
            if owners[index] == nil {
                owners[index] = node
                byNode[node] = index
                next = (index + 1) % count
                return cidr.subnet(index)
            }
        }
        return nil
    }

    mutating func release(node: String) {
        guard let index = byNode.removeValue(forKey: node) else { return }
        if owners[index] == node { owners[index] = nil }
    }
}
