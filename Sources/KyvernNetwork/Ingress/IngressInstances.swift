package import Foundation
package import KyvernAPI

/// Which nodes serve Ingresses now, learned from the Lease each node's Ingress controller holds
/// in kube-system (`kyvern-ingress-<node>`, its address in an annotation), and the status that
/// follows from them: every live node's address in `status.loadBalancer.ingress`, written only by
/// the live instance whose node name sorts first, so instances never fight over it.
///
/// A Lease counts as live while its `renewTime` last changed less than its duration ago by this
/// process's clock (as upstream's leader election judges a lease, so clocks of other machines do
/// not matter). Pure: the controller feeds it Leases and the time.
package struct IngressInstances: Sendable {
    package struct Member: Hashable, Sendable {
        package var node: String
        package var address: String
        package init(node: String, address: String) {
            self.node = node
            self.address = address
        }
    }

    package static let namespace = "kube-system"
    package static let instanceLabel = "ingress.kyvern.io/instance"
    package static let addressAnnotation = "ingress.kyvern.io/address"
    package static let leaseDurationSeconds = 30

    package static func leaseName(node: String) -> String { "kyvern-ingress-\(node)" }

    /// Each Lease's last seen renewTime and when this process saw it change.
    private var seen: [String: (renewTime: String, at: ContinuousClock.Instant)] = [:]

    package init() {}

    /// The live members among `leases` (any Leases of the namespace; others are ignored), by node name.
    package mutating func observe(_ leases: [JSONValue], now: ContinuousClock.Instant) -> [Member] {
        var members: [Member] = []
        var names: Set<String> = []
        for lease in leases where lease.labels[Self.instanceLabel] == "true" && lease.deletionTimestamp == nil {
            guard let name = lease.name, let node = lease[path: ["spec", "holderIdentity"]]?.stringValue,
                  let address = lease.annotations[Self.addressAnnotation], !address.isEmpty else { continue }
            names.insert(name)
            let renewTime = lease[path: ["spec", "renewTime"]]?.stringValue ?? ""
            if seen[name]?.renewTime != renewTime { seen[name] = (renewTime, now) }
            let duration = lease[path: ["spec", "leaseDurationSeconds"]]?.intValue.map(Int.init) ?? Self.leaseDurationSeconds
            if let at = seen[name]?.at, now - at < .seconds(duration) {
                members.append(Member(node: node, address: address))
            }
        }
        seen = seen.filter { names.contains($0.key) }
        return members.sorted { ($0.node, $0.address) < ($1.node, $1.address) }
    }

    /// Whether the instance on `node` writes Ingress status: it is live and first by name.
    package static func isWriter(node: String, members: [Member]) -> Bool {
        members.first?.node == node
    }

    /// `status.loadBalancer.ingress` for these members: each distinct address once, sorted.
    package static func statusIngress(_ members: [Member]) -> JSONValue {
        .array(Set(members.map(\.address)).sorted(by: addressOrder).map { ["ip": .string($0)] })
    }

    /// The Lease `node`'s instance holds, renewed at `now`; `existing` keeps its resourceVersion.
    package static func lease(node: String, address: String, now: Date, existing: JSONValue?) -> JSONValue {
        var lease = existing ?? [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(leaseName(node: node)), "namespace": .string(namespace)],
        ]
        lease[path: ["metadata", "labels", instanceLabel]] = "true"
        lease[path: ["metadata", "annotations", addressAnnotation]] = .string(address)
        lease[path: ["spec", "holderIdentity"]] = .string(node)
        lease[path: ["spec", "leaseDurationSeconds"]] = .int(Int64(leaseDurationSeconds))
        lease[path: ["spec", "renewTime"]] = .string(Timestamp.formatMicro(now))
        return lease
    }

    /// Numeric order for IPv4 addresses, text order otherwise.
    static func addressOrder(_ lhs: String, _ rhs: String) -> Bool {
        let (l, r) = (lhs.split(separator: ".").compactMap { Int($0) }, rhs.split(separator: ".").compactMap { Int($0) })
        if l.count == 4, r.count == 4, l != r { return l.lexicographicallyPrecedes(r) }
        return lhs < rhs
    }
}
