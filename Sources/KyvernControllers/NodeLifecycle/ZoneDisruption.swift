import KyvernAPI

/// Upstream's zone states: how much of a zone is not ready decides how fast its nodes are evicted.
enum ZoneState: String, Sendable {
    case normal = "Normal"
    case partialDisruption = "PartialDisruption"
    case fullDisruption = "FullDisruption"

    /// The zone key of a node: region and zone labels, as upstream's `GetZoneKey`.
    static func zoneKey(of node: JSONValue) -> String {
        let labels = node[path: ["metadata", "labels"]]
        let region = labels?["topology.kubernetes.io/region"]?.stringValue ?? ""
        let zone = labels?["topology.kubernetes.io/zone"]?.stringValue ?? ""
        return region + ":\u{0}:" + zone
    }

    /// A zone with no ready node is fully disrupted; one with more than two not-ready nodes
    /// making at least `unhealthyThreshold` of it partially.
    static func of(ready: Int, notReady: Int, unhealthyThreshold: Double) -> ZoneState {
        if ready == 0 && notReady > 0 { return .fullDisruption }
        if notReady > 2 && Double(notReady) / Double(notReady + ready) >= unhealthyThreshold { return .partialDisruption }
        return .normal
    }
}

/// Every zone's state and size, and the eviction rate that follows, computed from all nodes.
struct ZoneDisruption: Sendable, Equatable {
    var states: [String: ZoneState] = [:]
    var sizes: [String: Int] = [:]

    init() {}

    init(nodes: [JSONValue], unhealthyThreshold: Double) {
        var counts: [String: (ready: Int, notReady: Int)] = [:]
        for node in nodes {
            let zone = ZoneState.zoneKey(of: node)
            var count = counts[zone] ?? (0, 0)
            if NodeConditions.readyStatus(node) == "True" { count.ready += 1 } else { count.notReady += 1 }
            counts[zone] = count
        }
        for (zone, count) in counts {
            states[zone] = ZoneState.of(ready: count.ready, notReady: count.notReady, unhealthyThreshold: unhealthyThreshold)
            sizes[zone] = count.ready + count.notReady
        }
    }

    /// Every zone is fully disrupted: upstream takes this for a control-plane network problem
    /// rather than dead nodes and evicts nothing.
    var allFullyDisrupted: Bool {
        !states.isEmpty && states.values.allSatisfy { $0 == .fullDisruption }
    }

    /// Nodes per second that may be NoExecute-tainted in `zone`: the normal rate in a healthy or
    /// fully disrupted zone, the secondary rate in a partially disrupted large zone, none in a
    /// partially disrupted small one or when every zone is down.
    func evictionRate(zone: String, options: ControllerManagerOptions) -> Double {
        if allFullyDisrupted { return 0 }
        switch states[zone] ?? .normal {
        case .normal, .fullDisruption:
            return options.nodeEvictionRate
        case .partialDisruption:
            return (sizes[zone] ?? 0) > options.largeClusterSizeThreshold ? options.secondaryNodeEvictionRate : 0
        }
    }
}
