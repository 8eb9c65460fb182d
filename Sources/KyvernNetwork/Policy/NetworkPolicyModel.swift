package import KyvernAPI

/// One networking.k8s.io/v1 NetworkPolicy, read into what enforcement needs. Selectors are
/// parsed once here, not per pod.
package struct NetworkPolicyModel: Sendable, Hashable {
    /// One `from` or `to` entry.
    package enum Peer: Sendable, Hashable {
        /// `podSelector` and/or `namespaceSelector`: `namespaces` nil means the policy's own.
        case pods(pods: LabelSelector, namespaces: LabelSelector?)
        /// `ipBlock`: a CIDR minus the `except` CIDRs (canonical, IPv4 only).
        case block(cidr: String, except: [String])
    }

    /// One entry of `ports`: `port` nil means every port of the protocol.
    package struct Port: Sendable, Hashable {
        package enum Number: Sendable, Hashable {
            case any
            case range(Int, Int)
            case named(String)
        }
        package var proto: String
        package var number: Number

        package init(proto: String = "TCP", number: Number) {
            (self.proto, self.number) = (proto, number)
        }
    }

    /// One ingress or egress rule: `peers` empty allows every peer, `ports` empty every port.
    package struct Rule: Sendable, Hashable {
        package var peers: [Peer]
        package var ports: [Port]

        package init(peers: [Peer] = [], ports: [Port] = []) {
            (self.peers, self.ports) = (peers, ports)
        }
    }

    package var namespace: String
    package var name: String
    package var podSelector: LabelSelector
    /// nil when the policy does not apply to that direction (policyTypes).
    package var ingress: [Rule]?
    package var egress: [Rule]?

    package init(namespace: String, name: String, podSelector: LabelSelector = .everything,
                 ingress: [Rule]? = nil, egress: [Rule]? = nil) {
        (self.namespace, self.name, self.podSelector) = (namespace, name, podSelector)
        (self.ingress, self.egress) = (ingress, egress)
    }

    /// `namespace/name`, the key policies are ordered and named by.
    package var key: String { namespace + "/" + name }

    /// The policy of an informer's cache. `policyTypes` defaults as upstream documents: Ingress
    /// always, Egress when the policy has egress rules. A selector that does not parse selects
    /// nothing (the API server validates them, so this is only a safety net).
    package init?(json policy: JSONValue) {
        guard let namespace = policy.namespace, let name = policy.name else { return nil }
        let spec = policy["spec"] ?? .object([:])
        let ingressRules = spec["ingress"]?.arrayValue ?? []
        let egressRules = spec["egress"]?.arrayValue ?? []
        let types = (spec["policyTypes"]?.arrayValue ?? []).compactMap(\.stringValue)
        let affectsIngress = types.isEmpty ? true : types.contains("Ingress")
        let affectsEgress = types.isEmpty ? !egressRules.isEmpty : types.contains("Egress")
        self.init(namespace: namespace, name: name,
                  podSelector: Self.selector(spec["podSelector"] ?? .object([:])),
                  ingress: affectsIngress ? ingressRules.map { Self.rule($0, peersKey: "from") } : nil,
                  egress: affectsEgress ? egressRules.map { Self.rule($0, peersKey: "to") } : nil)
    }

    static func selector(_ json: JSONValue) -> LabelSelector {
        (try? LabelSelector(labelSelector: json)) ?? .nothing
    }

    static func rule(_ json: JSONValue, peersKey: String) -> Rule {
        let peers = (json[peersKey]?.arrayValue ?? []).compactMap(peer)
        // A rule whose every peer is unusable must match nothing, not everything.
        let listed = !(json[peersKey]?.arrayValue ?? []).isEmpty
        let ports = (json["ports"]?.arrayValue ?? []).compactMap(port)
        var rule = Rule(peers: peers, ports: ports)
        if listed && peers.isEmpty { rule.peers = [.pods(pods: .nothing, namespaces: nil)] }
        return rule
    }

    static func peer(_ json: JSONValue) -> Peer? {
        if let block = json["ipBlock"] {
            guard let cidr = block["cidr"]?.stringValue.flatMap(IPv4Network.init) else { return nil }
            let except = (block["except"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(IPv4Network.init)?.description }
            return .block(cidr: cidr.description, except: except)
        }
        let pods = json["podSelector"].map(selector)
        let namespaces = json["namespaceSelector"].map(selector)
        guard pods != nil || namespaces != nil else { return nil }
        return .pods(pods: pods ?? .everything, namespaces: namespaces)
    }

    static func port(_ json: JSONValue) -> Port? {
        let proto = json["protocol"]?.stringValue ?? "TCP"
        switch json["port"] {
        case nil, .null?:
            return Port(proto: proto, number: .any)
        case .string(let name)?:
            if let number = Int(name) { return Port(proto: proto, number: .range(number, number)) }
            return Port(proto: proto, number: .named(name))
        case let value?:
            guard let number = value.intValue.map(Int.init) else { return nil }
            let end = json["endPort"]?.intValue.map(Int.init) ?? number
            return Port(proto: proto, number: .range(number, max(number, end)))
        }
    }
}
