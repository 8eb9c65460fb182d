import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("API server leases and the kubernetes Service's endpoints")
struct APIServerLeasesTests {
    @Test func everyServerWithAnUnexpiredRecordIsLiveAndAnExpiredOneIsDropped() async throws {
        let store = MemoryStore()
        let leases = APIServerLeases(store: store)
        let start = Date(timeIntervalSince1970: 1_000_000)
        try await leases.renew(address: "10.0.0.2", port: 6443, now: start)
        try await leases.renew(address: "10.0.0.1", port: 6443, now: start + 5)
        try await leases.renew(address: "10.0.0.3", port: 6443, now: start + 5)
        #expect(try await leases.live(now: start + 10).map(\.address) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        // 10.0.0.2 stopped renewing: gone one TTL after its last renewal, its record deleted
        let later = try await leases.live(now: start + APIServerLeases.ttl + 1)
        #expect(later.map(\.address) == ["10.0.0.1", "10.0.0.3"])
        let keys = try await store.range(prefix: APIServerLeases.prefix, startKey: nil, limit: nil, revision: nil).items.map(\.key)
        #expect(keys == ["/registry/masterleases/10.0.0.1:6443", "/registry/masterleases/10.0.0.3:6443"])
        // a renewal extends the record rather than adding one
        try await leases.renew(address: "10.0.0.1", port: 6443, now: start + 15)
        #expect(try await leases.live(now: start + 25).map(\.address) == ["10.0.0.1"])
        // a clean shutdown removes the record at once
        await leases.remove(address: "10.0.0.1", port: 6443)
        #expect(try await leases.live(now: start + 25).isEmpty)
    }

    @Test func endpointsNameEveryLiveServerAndTheSliceTheServersOfOnePort() {
        let members = [
            APIServerLeases.Member(address: "10.0.0.1", port: 6443), APIServerLeases.Member(address: "10.0.0.2", port: 6443),
            APIServerLeases.Member(address: "127.0.0.1", port: 7443),
        ]
        let endpoints = KubernetesService.endpoints(members: members)
        let expected: JSONValue = [
            ["addresses": [["ip": "10.0.0.1"], ["ip": "10.0.0.2"]], "ports": [["name": "https", "port": 6443, "protocol": "TCP"]]],
            ["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": 7443, "protocol": "TCP"]]],
        ]
        #expect(endpoints["subsets"] == expected)
        let slice = KubernetesService.endpointSlice(members: members)
        #expect(slice["endpoints"] == [
            ["addresses": ["10.0.0.1"], "conditions": ["ready": true]],
            ["addresses": ["10.0.0.2"], "conditions": ["ready": true]],
        ])
        #expect(slice["ports"] == [["name": "https", "port": 6443, "protocol": "TCP"]])
    }
}
