import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernControllers

@Suite struct EndpointsControllerTests {
    let client = FakeClient()
    let key = ObjectKey(namespace: "default", name: "web")
    let resource = EndpointsController.resource

    func reconcile() async throws {
        try await client.endpointsController().reconcile(key)
    }

    var stored: JSONValue? { client.object(resource, namespace: "default", name: "web") }

    func address(_ pod: String, _ ip: String, node: String = "node-a", hostname: String? = nil) -> JSONValue {
        var address: JSONValue = [
            "ip": .string(ip), "nodeName": .string(node),
            "targetRef": ["kind": "Pod", "namespace": "default", "name": .string(pod),
                          "uid": .string(client.object(.pods, namespace: "default", name: pod)!.uid!)],
        ]
        if let hostname { address["hostname"] = .string(hostname) }
        return address
    }

    @Test func readyAndNotReadyAddressesWithPortsLabelsAndHostname() async throws {
        try client.seed(.services, EndpointFixtures.service(labels: ["tier": "front"]))
        try await client.seedPods(
            EndpointFixtures.pod("b", ip: "10.42.0.10", hostname: "bee", subdomain: "web"),
            EndpointFixtures.pod("a", ip: "10.42.0.9"),
            EndpointFixtures.pod("unready", ip: "10.42.0.7", ready: false),
            EndpointFixtures.pod("leaving", ip: "10.42.0.8", deleting: true),
            EndpointFixtures.pod("no-ip", ip: nil),
            EndpointFixtures.pod("other", ip: "10.42.0.11", labels: ["app": "db"]))
        try await reconcile()
        let endpoints = try #require(stored)
        #expect(endpoints.labels == ["tier": "front", "endpoints.kubernetes.io/managed-by": "endpoint-controller"])
        #expect(endpoints["subsets"] == [[
            "addresses": [address("a", "10.42.0.9"), address("b", "10.42.0.10", hostname: "bee")],
            "notReadyAddresses": [address("unready", "10.42.0.7")],
            "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
        ]])
        let service = client.object(.services, namespace: "default", name: "web")!
        #expect(endpoints.annotations == ["endpoints.kubernetes.io/last-change-trigger-time": .init(service.creationTimestamp!)])
    }

    @Test func publishNotReadyAddressesKeepsEveryPodReadyIncludingTerminating() async throws {
        try client.seed(.services, EndpointFixtures.service(clusterIP: "None", publishNotReady: true))
        try await client.seedPods(EndpointFixtures.pod("unready", ip: "10.42.0.7", ready: false),
                        EndpointFixtures.pod("leaving", ip: "10.42.0.8", deleting: true))
        try await reconcile()
        let endpoints = try #require(stored)
        #expect(endpoints["subsets"] == [[
            "addresses": [address("unready", "10.42.0.7"), address("leaving", "10.42.0.8")],
            "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
        ]])
        #expect(endpoints.labels["service.kubernetes.io/headless"] == "")
    }

    @Test func podsOfferingDifferentPortsGetDifferentSubsets() async throws {
        try client.seed(.services, EndpointFixtures.service(ports: [["port": 80, "protocol": "TCP", "targetPort": "http"]]))
        try await client.seedPods(
            EndpointFixtures.pod("a", ip: "10.42.0.5", containerPorts: [["name": "http", "containerPort": 8080, "protocol": "TCP"]]),
            EndpointFixtures.pod("b", ip: "10.42.0.6", containerPorts: [["name": "http", "containerPort": 9090, "protocol": "TCP"]]),
            EndpointFixtures.pod("c", ip: "10.42.0.7"))
        try await reconcile()
        #expect(stored?["subsets"] == [
            ["addresses": [address("a", "10.42.0.5")], "ports": [["port": 8080, "protocol": "TCP"]]],
            ["addresses": [address("b", "10.42.0.6")], "ports": [["port": 9090, "protocol": "TCP"]]],
        ])
    }

    @Test func unchangedEndpointsAreNotWrittenAgainAndChangesUpdate() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"))
        try await reconcile()
        client.clearActions()
        try await reconcile()
        #expect(client.writes.isEmpty)

        var pod = client.object(.pods, namespace: "default", name: "a")!
        pod[path: ["status", "conditions"]] = [["type": "Ready", "status": "False", "lastTransitionTime": "2026-01-01T00:05:00Z"]]
        _ = try await client.updateStatus(.pods, namespace: "default", pod)
        client.clearActions()
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["update"])
        #expect(stored?["subsets"] == [["notReadyAddresses": [address("a", "10.42.0.5")],
                                        "ports": [["name": "http", "port": 8080, "protocol": "TCP"]]]])
    }

    @Test func selectorlessServicesKeepTheirManualEndpoints() async throws {
        try client.seed(.services, EndpointFixtures.service(selector: nil))
        let manual: JSONValue = [
            "apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "web", "namespace": "default"],
            "subsets": [["addresses": [["ip": "192.168.1.1"]], "ports": [["port": 80, "protocol": "TCP"]]]],
        ]
        try client.seed(resource, manual)
        try await reconcile()
        #expect(client.writes.isEmpty)
        // Nor are they removed with their Service.
        try await client.delete(.services, namespace: "default", name: "web")
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["delete"])
        #expect(stored?["subsets"] == manual["subsets"])
    }

    @Test func endpointsWeMadeGoAwayWithTheirService() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try await reconcile()
        #expect(stored?["subsets"] == nil)
        try await client.delete(.services, namespace: "default", name: "web")
        try await reconcile()
        #expect(stored == nil)
    }

    @Test func moreThanAThousandAddressesAreTruncatedAndAnnotated() async throws {
        try client.seed(.services, EndpointFixtures.service())
        for index in 0..<1005 {
            try await client.seedPods(EndpointFixtures.pod("p\(index)", ip: "10.42.\(index / 250).\(index % 250 + 2)",
                                                        ready: index >= 3))
        }
        try await reconcile()
        let endpoints = try #require(stored)
        #expect(EndpointSubsets.count(endpoints["subsets"]?.arrayValue ?? []) == 1000)
        // Not-ready addresses go first: all 1002 ready ones would not fit either, so only ready remain.
        #expect(endpoints[path: ["subsets"]]?.arrayValue?.allSatisfy { $0["notReadyAddresses"] == nil } == true)
        #expect(endpoints.annotations["endpoints.kubernetes.io/over-capacity"] == "truncated")
    }
}
