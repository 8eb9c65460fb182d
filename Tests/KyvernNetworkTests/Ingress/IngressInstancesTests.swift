import Foundation
import KyvernAPI
import Testing

@testable import KyvernNetwork

/// Which nodes serve Ingresses, from their Leases, and who writes the status.
@Suite("Ingress instances: live Leases, the single status writer, every node's address")
struct IngressInstancesTests {
    static func lease(_ node: String, _ address: String, renew: String) -> JSONValue {
        IngressInstances.lease(node: node, address: address, now: Date(timeIntervalSince1970: 0), existing: nil)
            .setting(["spec", "renewTime"], .string(renew))
    }

    @Test func everyLiveNodeIsListedAndTheFirstByNameWrites() {
        var instances = IngressInstances()
        let now = ContinuousClock.now
        let leases = [Self.lease("node-b", "172.31.0.3", renew: "1"), Self.lease("node-a", "172.31.0.10", renew: "1"),
                      ["metadata": ["name": "kube-scheduler", "namespace": "kube-system"], "spec": ["holderIdentity": "x"]]]
        let members = instances.observe(leases, now: now)
        #expect(members.map(\.node) == ["node-a", "node-b"])
        #expect(IngressInstances.isWriter(node: "node-a", members: members))
        #expect(!IngressInstances.isWriter(node: "node-b", members: members))
        // addresses in numeric order, each once
        #expect(IngressInstances.statusIngress(members) == [["ip": "172.31.0.3"], ["ip": "172.31.0.10"]])
    }

    @Test func aLeaseNotRenewedWithinItsDurationDropsOutAndTheNextNodeWrites() {
        var instances = IngressInstances()
        let start = ContinuousClock.now
        _ = instances.observe([Self.lease("node-a", "10.0.0.1", renew: "1"), Self.lease("node-b", "10.0.0.2", renew: "1")],
                              now: start)
        // node-b renews, node-a does not
        let later = start + .seconds(IngressInstances.leaseDurationSeconds + 1)
        let members = instances.observe([Self.lease("node-a", "10.0.0.1", renew: "1"), Self.lease("node-b", "10.0.0.2", renew: "2")],
                                        now: later)
        #expect(members == [.init(node: "node-b", address: "10.0.0.2")])
        #expect(IngressInstances.isWriter(node: "node-b", members: members))
        #expect(IngressInstances.statusIngress(members) == [["ip": "10.0.0.2"]])
    }

    @Test func anInstanceWithoutItsOwnLeaseYetDoesNotWrite() {
        var instances = IngressInstances()
        let members = instances.observe([Self.lease("node-b", "10.0.0.2", renew: "1")], now: .now)
        #expect(!IngressInstances.isWriter(node: "node-a", members: members))
    }

    @Test func theLeaseNamesItsHolderAddressAndDuration() {
        let existing: JSONValue = ["metadata": ["name": "kyvern-ingress-n1", "namespace": "kube-system", "resourceVersion": "7"]]
        let lease = IngressInstances.lease(node: "n1", address: "10.1.2.3", now: Date(timeIntervalSince1970: 1), existing: existing)
        #expect(lease[path: ["metadata", "resourceVersion"]] == "7")
        #expect(lease[path: ["metadata", "labels", IngressInstances.instanceLabel]] == "true")
        #expect(lease[path: ["metadata", "annotations", IngressInstances.addressAnnotation]] == "10.1.2.3")
        #expect(lease[path: ["spec", "holderIdentity"]] == "n1")
        #expect(lease[path: ["spec", "leaseDurationSeconds"]] == .int(Int64(IngressInstances.leaseDurationSeconds)))
        #expect(lease[path: ["spec", "renewTime"]] == "1970-01-01T00:00:01.000000Z")
        #expect(IngressInstances.leaseName(node: "n1") == "kyvern-ingress-n1")
    }
}

extension JSONValue {
    fileprivate func setting(_ path: [String], _ value: JSONValue) -> JSONValue {
        var copy = self
        copy[path: path] = value
        return copy
    }
}
