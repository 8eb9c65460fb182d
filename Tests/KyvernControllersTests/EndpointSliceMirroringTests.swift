import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct EndpointSliceMirroringTests {
    let client = FakeClient()
    let key = ObjectKey(namespace: "default", name: "ext")
    static let endpointsRef = EndpointSliceMirroringController.endpointsResource

    func reconcile() async throws {
        let controller = EndpointSliceMirroringController(
            client: client, services: StaticCache(objects: client.objects(.services)),
            endpoints: StaticCache(objects: client.objects(Self.endpointsRef)),
            slices: StaticCache(objects: client.objects(.endpointSlices)), queue: nil, logger: Logger(label: "test"))
        try await controller.reconcile(key)
    }

    func mirrored() -> [JSONValue] {
        client.objects(.endpointSlices, namespace: "default").filter {
            $0.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslicemirroring-controller.k8s.io"
        }.sorted { ($0.name ?? "") < ($1.name ?? "") }
    }

    static func endpoints(subsets: [JSONValue], labels: [String: String] = [:],
                          annotations: [String: String] = [:]) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": "ext", "namespace": "default"]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues(JSONValue.string)) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues(JSONValue.string)) }
        return ["apiVersion": "v1", "kind": "Endpoints", "metadata": .object(metadata), "subsets": .array(subsets)]
    }

    static let httpPorts: JSONValue = [["name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"]]

    @discardableResult
    func seedEndpoints(_ subsets: [JSONValue], labels: [String: String] = [:],
                       annotations: [String: String] = [:]) throws -> JSONValue {
        try client.seed(Self.endpointsRef, Self.endpoints(subsets: subsets, labels: labels, annotations: annotations))[0]
    }

    func replaceEndpoints(_ subsets: [JSONValue], labels: [String: String] = [:]) async throws {
        var current = client.object(Self.endpointsRef, namespace: "default", name: "ext")!
        current["subsets"] = .array(subsets)
        current[path: ["metadata", "labels"]] = labels.isEmpty ? nil : .object(labels.mapValues(JSONValue.string))
        _ = try await client.update(Self.endpointsRef, namespace: "default", current)
    }

    func seedSelectorlessService() throws {
        try client.seed(.services, EndpointFixtures.service("ext", selector: nil))
    }

    @Test func mirrorsEachSubsetWithLabelsAnnotationsOwnerAndEndpoints() async throws {
        try seedSelectorlessService()
        let endpoints = try seedEndpoints([
            ["addresses": [["ip": "192.168.0.2", "hostname": "b", "nodeName": "n1",
                            "targetRef": ["kind": "Pod", "namespace": "default", "name": "p", "uid": "u1"]],
                           ["ip": "192.168.0.10"], ["ip": "fd00::1"], ["ip": "not-an-ip"]],
             "notReadyAddresses": [["ip": "192.168.0.3"]], "ports": Self.httpPorts],
            ["addresses": [["ip": "10.0.0.1"]], "ports": [["port": 53, "protocol": "UDP"]]],
        ], labels: ["team": "a"], annotations: ["note": "x", "kubectl.kubernetes.io/last-applied-configuration": "{}",
                                                "endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z"])
        try await reconcile()

        let slices = mirrored()
        try #require(slices.count == 2)
        for slice in slices {
            #expect(slice.generateName == "ext-" && slice.name!.count == "ext-".count + 5)
            #expect(slice.labels == ["team": "a", "kubernetes.io/service-name": "ext",
                                     "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io"])
            #expect(slice.annotations == ["note": "x"])
            #expect(slice.ownerReferences == [["apiVersion": "v1", "kind": "Endpoints", "name": "ext",
                                               "uid": .string(endpoints.uid!), "controller": true, "blockOwnerDeletion": true]])
            #expect(slice["addressType"] == "IPv4")
        }
        let http = try #require(slices.first { $0["ports"] == [["name": "http", "port": 8080, "protocol": "TCP", "appProtocol": "http"]] })
        #expect(http["endpoints"] == [
            ["addresses": ["192.168.0.2"], "conditions": ["ready": true], "hostname": "b", "nodeName": "n1",
             "targetRef": ["kind": "Pod", "namespace": "default", "name": "p", "uid": "u1"]],
            ["addresses": ["192.168.0.3"], "conditions": ["ready": false]],
            ["addresses": ["192.168.0.10"], "conditions": ["ready": true]],
        ])
        let dns = try #require(slices.first { $0["ports"] == [["name": "", "port": 53, "protocol": "UDP"]] })
        #expect(dns["endpoints"] == [["addresses": ["10.0.0.1"], "conditions": ["ready": true]]])
    }

    @Test func anAddressBothReadyAndNotReadyIsReadyAndSubsetsWithTheSamePortsShareASlice() async throws {
        try seedSelectorlessService()
        try seedEndpoints([
            ["notReadyAddresses": [["ip": "192.168.0.1"], ["ip": "192.168.0.2"]], "ports": Self.httpPorts],
            ["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts],
        ])
        try await reconcile()
        let slices = mirrored()
        try #require(slices.count == 1)
        #expect(slices[0]["endpoints"] == [["addresses": ["192.168.0.1"], "conditions": ["ready": true]],
                                           ["addresses": ["192.168.0.2"], "conditions": ["ready": false]]])
    }

    @Test func followsAnEndpointsChangeInPlaceAndWritesNothingWhenUnchanged() async throws {
        try seedSelectorlessService()
        try seedEndpoints([["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts]])
        try await reconcile()
        let before = try #require(mirrored().first)
        client.clearActions()
        try await reconcile()
        try await reconcile()
        #expect(client.writes.isEmpty)

        try await replaceEndpoints([["addresses": [["ip": "192.168.0.5"]], "notReadyAddresses": [["ip": "192.168.0.1"]],
                                     "ports": Self.httpPorts]], labels: ["team": "b"])
        client.clearActions()
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["update"])
        let after = try #require(mirrored().first)
        #expect(mirrored().count == 1)
        #expect(after.name == before.name)
        #expect(after.labels["team"] == "b")
        #expect(after["endpoints"] == [["addresses": ["192.168.0.1"], "conditions": ["ready": false]],
                                       ["addresses": ["192.168.0.5"], "conditions": ["ready": true]]])

        // New ports: the old slice is rewritten for them rather than deleted and created.
        try await replaceEndpoints([["addresses": [["ip": "192.168.0.5"]], "ports": [["name": "https", "port": 8443, "protocol": "TCP"]]]])
        client.clearActions()
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["update"])
        #expect(mirrored().map(\.name) == [before.name])
        #expect(mirrored()[0]["ports"] == [["name": "https", "port": 8443, "protocol": "TCP"]])
    }

    @Test func skipMirrorEndpointsAreNotMirroredAndLabellingRemovesTheSlices() async throws {
        try seedSelectorlessService()
        try seedEndpoints([["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts]],
                          labels: ["endpointslice.kubernetes.io/skip-mirror": "true"])
        try await reconcile()
        #expect(mirrored().isEmpty)
        #expect(client.writes.isEmpty)

        try await replaceEndpoints([["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts]])
        try await reconcile()
        #expect(mirrored().count == 1)
        try await replaceEndpoints([["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts]],
                                   labels: ["endpointslice.kubernetes.io/skip-mirror": "true"])
        try await reconcile()
        #expect(mirrored().isEmpty)
    }

    @Test func aServiceGainingASelectorOrGoingLosesTheMirroredSlices() async throws {
        try seedSelectorlessService()
        try seedEndpoints([["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts]])
        try await reconcile()
        #expect(mirrored().count == 1)
        var service = client.object(.services, namespace: "default", name: "ext")!
        service[path: ["spec", "selector"]] = ["app": "web"]
        _ = try await client.update(.services, namespace: "default", service)
        try await reconcile()
        #expect(mirrored().isEmpty)

        try await client.delete(.services, namespace: "default", name: "ext")
        try seedSelectorlessService()
        try await reconcile()
        #expect(mirrored().count == 1)
        try await client.delete(.services, namespace: "default", name: "ext")
        try await reconcile()
        #expect(mirrored().isEmpty)
    }

    @Test func deletingTheEndpointsRemovesTheSlicesAndOthersSlicesStay() async throws {
        try seedSelectorlessService()
        try seedEndpoints([["addresses": [["ip": "192.168.0.1"]], "ports": Self.httpPorts]])
        let foreign: JSONValue = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": "ext-custom", "namespace": "default",
                         "labels": ["kubernetes.io/service-name": "ext", "endpointslice.kubernetes.io/managed-by": "someone-else"]],
            "addressType": "IPv4", "endpoints": [["addresses": ["192.168.9.9"]]],
        ]
        try client.seed(.endpointSlices, foreign)
        try await reconcile()
        #expect(mirrored().count == 1)
        try await client.delete(Self.endpointsRef, namespace: "default", name: "ext")
        try await reconcile()
        #expect(mirrored().isEmpty)
        #expect(client.object(.endpointSlices, namespace: "default", name: "ext-custom") != nil)
    }

    @Test func mirrorsAtMostAThousandAddressesPerSubset() async throws {
        try seedSelectorlessService()
        let addresses: [JSONValue] = (0..<1005).map { ["ip": .string("10.1.\($0 / 256).\($0 % 256)")] }
        try seedEndpoints([["addresses": .array(addresses), "ports": Self.httpPorts]])
        try await reconcile()
        let slices = mirrored()
        try #require(slices.count == 1)
        let ips = EndpointSliceShape.endpoints(of: slices[0]).compactMap { $0["addresses"]?.arrayValue?.first?.stringValue }
        #expect(ips.count == 1000)
        #expect(ips.first == "10.1.0.0" && ips.last == "10.1.3.231")
    }
}
