import KyvernAPI

/// The controller's view of which node holds which range, filled from every cached node before
/// the first allocation so a restart never hands out a range a node already carries.
actor NodeCIDRAllocator {
    private var ranges: NodeCIDRSet
    private var primed = false

    init(cidr: ClusterCIDR) {
        ranges = NodeCIDRSet(cidr: cidr)
    }

    /// Records the ranges of `nodes` once (the first sync after the caches filled).
    func primeOnce(with nodes: () async -> [JSONValue]) async {
        guard !primed else { return }
        primed = true
        for node in await nodes() {
            if let range = NodeIPAMController.podCIDR(of: node), let name = node.name { ranges.occupy(range, node: name) }
        }
    }

    func occupy(_ range: String, node: String) -> Bool { ranges.occupy(range, node: node) }
    func allocate(node: String) -> String? { ranges.allocate(node: node) }
    func release(node: String) { ranges.release(node: node) }
    var used: Int { ranges.used }
}
