/// What the policies ask of one node, independent of the kernel's rule language: which local
/// pods are isolated in which direction, and per policy and direction the traffic it allows.
/// ``NftPolicyBuilder`` turns it into nftables text, ``IptablesPolicyBuilder`` into iptables
/// chains (as the proxy's mode is); the compiler that makes it is pure.
package struct PolicyRuleSet: Equatable, Sendable {
    package enum Direction: String, Sendable, Hashable {
        case ingress, egress
    }

    /// Which remote addresses a match allows (the source for ingress, the destination for egress).
    package enum Peer: Hashable, Sendable {
        case any
        /// Sorted pod addresses.
        case addresses([String])
        case block(cidr: String, except: [String])
    }

    /// A protocol and an inclusive port range; `ports` nil means every port of the protocol.
    package struct PortRange: Hashable, Sendable {
        package var proto: String
        package var ports: ClosedRange<Int>?

        package init(proto: String, ports: ClosedRange<Int>? = nil) {
            (self.proto, self.ports) = (proto, ports)
        }
    }

    /// One allowing match: a peer, any of `ports` (empty: every port and protocol), and, when a
    /// named port resolved differently per pod, only the local pods in `localPods`.
    package struct Match: Hashable, Sendable {
        package var peer: Peer
        package var ports: [PortRange]
        package var localPods: [String]?

        package init(peer: Peer, ports: [PortRange] = [], localPods: [String]? = nil) {
            (self.peer, self.ports, self.localPods) = (peer, ports, localPods)
        }
    }

    /// One policy's rules for one direction; traffic any match allows passes.
    package struct PolicyChain: Hashable, Sendable {
        package var policy: String
        package var direction: Direction
        package var matches: [Match]

        package init(policy: String, direction: Direction, matches: [Match]) {
            (self.policy, self.direction, self.matches) = (policy, direction, matches)
        }
    }

    /// Policy chains by direction and policy key, sorted by key.
    package var ingress: [PolicyChain] = []
    package var egress: [PolicyChain] = []
    /// Local pod address → keys of the policies isolating it, sorted (for ingress, for egress).
    package var ingressPods: [String: [String]] = [:]
    package var egressPods: [String: [String]] = [:]

    package init() {}
}
