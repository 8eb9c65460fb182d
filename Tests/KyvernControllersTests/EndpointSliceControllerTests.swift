import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernControllers

@Suite struct EndpointSliceControllerTests {
    let client = FakeClient()
    let key = ObjectKey(namespace: "default", name: "web")

    func reconcile() async throws {
        try await client.sliceController().reconcile(key)
    }

    func endpoints(_ slice: JSONValue) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: EndpointSliceShape.endpoints(of: slice).map {
            ($0[path: ["targetRef", "name"]]!.stringValue!, $0)
        })
    }

    @Test func listsSelectedPodsWithAddressesConditionsNodeZoneAndHostname() async throws {
        let service = try client.seed(.services, EndpointFixtures.service(labels: ["tier": "front"]))[0]
        try client.seed(.nodes, EndpointFixtures.node("node-a", zone: "zone-1"), EndpointFixtures.node("node-b"))
        try await client.seedPods(
            EndpointFixtures.pod("ready", ip: "10.42.0.5", hostname: "h1", subdomain: "web"),
            EndpointFixtures.pod("unready", ip: "10.42.0.6", ready: false, node: "node-b"),
            EndpointFixtures.pod("leaving", ip: "10.42.0.7", deleting: true),
            EndpointFixtures.pod("no-ip", ip: nil),
            EndpointFixtures.pod("done", ip: "10.42.0.8", phase: "Succeeded"),
            EndpointFixtures.pod("other", ip: "10.42.0.9", labels: ["app": "db"]))
        try await reconcile()

        let slices = client.managedSlices(of: "web")
        try #require(slices.count == 1)
        let slice = slices[0]
        #expect(slice.name!.hasPrefix("web-") && slice.name!.count == "web-".count + 5)
        #expect(slice.generateName == "web-")
        #expect(slice.labels == ["tier": "front", "kubernetes.io/service-name": "web",
                                 "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"])
        #expect(slice.ownerReferences == [["apiVersion": "v1", "kind": "Service", "name": "web", "uid": .string(service.uid!),
                                           "controller": true, "blockOwnerDeletion": true]])
        #expect(slice["addressType"] == "IPv4")
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        let byPod = endpoints(slice)
        #expect(Set(byPod.keys) == ["ready", "unready", "leaving"])
        let readyUID = client.object(.pods, namespace: "default", name: "ready")!.uid!
        #expect(byPod["ready"] == [
            "addresses": ["10.42.0.5"], "conditions": ["ready": true, "serving": true, "terminating": false],
            "targetRef": ["kind": "Pod", "namespace": "default", "name": "ready", "uid": .string(readyUID)],
            "nodeName": "node-a", "zone": "zone-1", "hostname": "h1",
        ])
        #expect(byPod["unready"]?["conditions"] == ["ready": false, "serving": false, "terminating": false])
        #expect(byPod["unready"]?["zone"] == nil)
        #expect(byPod["unready"]?["nodeName"] == "node-b")
        #expect(byPod["leaving"]?["conditions"] == ["ready": false, "serving": true, "terminating": true])
        // The first sync of a Service stamps its creation time.
        #expect(slice.annotations["endpoints.kubernetes.io/last-change-trigger-time"] == service.creationTimestamp)
    }

    @Test func anUnchangedServiceIsNotWrittenAgain() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"), EndpointFixtures.pod("b", ip: "10.42.0.6"))
        try await reconcile()
        #expect(EndpointFixtures.writes(client, "create", "endpointslices").count == 1)
        client.clearActions()
        try await reconcile()
        try await reconcile()
        #expect(client.writes.isEmpty)
    }

    @Test func aPodTurningNotReadyUpdatesTheSliceInPlace() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"), EndpointFixtures.pod("b", ip: "10.42.0.6"))
        try await reconcile()
        let before = client.managedSlices(of: "web")[0]
        var pod = client.object(.pods, namespace: "default", name: "a")!
        pod[path: ["status", "conditions"]] = [["type": "Ready", "status": "False", "lastTransitionTime": "2026-01-01T00:05:00Z"]]
        _ = try await client.updateStatus(.pods, namespace: "default", pod)
        client.clearActions()
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["update"])
        let after = client.managedSlices(of: "web")
        try #require(after.count == 1)
        #expect(after[0].name == before.name)
        #expect(endpoints(after[0])["a"]?["conditions"] == ["ready": false, "serving": false, "terminating": false])
        #expect(endpoints(after[0])["b"]?["conditions"] == ["ready": true, "serving": true, "terminating": false])
    }

    @Test func publishNotReadyAddressesMarksEveryPodReady() async throws {
        try client.seed(.services, EndpointFixtures.service(publishNotReady: true))
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("unready", ip: "10.42.0.6", ready: false),
                        EndpointFixtures.pod("leaving", ip: "10.42.0.7", deleting: true))
        try await reconcile()
        let byPod = endpoints(client.managedSlices(of: "web")[0])
        #expect(byPod["unready"]?["conditions"] == ["ready": true, "serving": false, "terminating": false])
        #expect(byPod["leaving"]?["conditions"] == ["ready": true, "serving": true, "terminating": true])
    }

    @Test func namedTargetPortsResolvePerPodAndSplitSlices() async throws {
        try client.seed(.services, EndpointFixtures.service(ports: [
            ["name": "web", "port": 80, "protocol": "TCP", "targetPort": "http"],
            ["name": "metrics", "port": 9100, "protocol": "TCP", "targetPort": 9100],
        ]))
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(
            EndpointFixtures.pod("a", ip: "10.42.0.5", containerPorts: [["name": "http", "containerPort": 8080, "protocol": "TCP"]]),
            EndpointFixtures.pod("b", ip: "10.42.0.6", containerPorts: [["name": "http", "containerPort": 8080, "protocol": "TCP"]]),
            EndpointFixtures.pod("c", ip: "10.42.0.7", containerPorts: [["name": "http", "containerPort": 9090, "protocol": "TCP"]]),
            // Same name, other protocol: does not match.
            EndpointFixtures.pod("d", ip: "10.42.0.8", containerPorts: [["name": "http", "containerPort": 7070, "protocol": "UDP"]]))
        try await reconcile()
        let slices = client.managedSlices(of: "web")
        let byPorts = Dictionary(uniqueKeysWithValues: slices.map { ($0["ports"]!, Set(endpoints($0).keys)) })
        #expect(byPorts == [
            [["name": "web", "port": 8080, "protocol": "TCP"], ["name": "metrics", "port": 9100, "protocol": "TCP"]]: ["a", "b"],
            [["name": "web", "port": 9090, "protocol": "TCP"], ["name": "metrics", "port": 9100, "protocol": "TCP"]]: ["c"],
            [["name": "metrics", "port": 9100, "protocol": "TCP"]]: ["d"],
        ])
    }

    @Test func atMostOneHundredEndpointsPerSliceAndRemovalsUpdateInPlace() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        for index in 0..<250 {
            try await client.seedPods(EndpointFixtures.pod("p\(index)", ip: "10.42.\(index / 200).\(index % 200 + 2)"))
        }
        try await reconcile()
        var slices = client.managedSlices(of: "web")
        #expect(slices.map { EndpointSliceShape.endpoints(of: $0).count }.sorted() == [50, 100, 100])
        #expect(Set(slices.flatMap { endpoints($0).keys }).count == 250)

        for index in 0..<10 {
            try await client.delete(.pods, namespace: "default", name: "p\(index)", options: DeleteOptions(gracePeriodSeconds: 0))
        }
        client.clearActions()
        try await reconcile()
        #expect(EndpointFixtures.writes(client, "create", "endpointslices").isEmpty)
        #expect(EndpointFixtures.writes(client, "delete", "endpointslices").isEmpty)
        slices = client.managedSlices(of: "web")
        #expect(slices.map { EndpointSliceShape.endpoints(of: $0).count }.reduce(0, +) == 240)
        #expect(slices.count == 3)
    }

    @Test func aServiceWithoutPodsKeepsOnePlaceholderSlice() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try await reconcile()
        let slices = client.managedSlices(of: "web")
        try #require(slices.count == 1)
        #expect(slices[0]["endpoints"] == [])
        #expect(slices[0]["ports"] == [])
        client.clearActions()
        try await reconcile()
        #expect(client.writes.isEmpty)
        // The first pod reuses the placeholder rather than creating a second slice.
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"))
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["update"])
        #expect(client.managedSlices(of: "web").count == 1)
    }

    @Test func losingTheSelectorDeletesOnlyOurSlices() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"))
        try client.seed(.endpointSlices, [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": "web-manual", "namespace": "default",
                         "labels": ["kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "someone-else"]],
            "addressType": "IPv4", "endpoints": [["addresses": ["192.168.1.1"]]],
        ])
        try await reconcile()
        #expect(client.managedSlices(of: "web").count == 1)

        var service = client.object(.services, namespace: "default", name: "web")!
        service[path: ["spec", "selector"]] = nil
        _ = try await client.update(.services, namespace: "default", service)
        client.clearActions()
        try await reconcile()
        #expect(client.managedSlices(of: "web").isEmpty)
        #expect(client.writes.map(\.verb) == ["delete"])
        #expect(client.object(.endpointSlices, namespace: "default", name: "web-manual") != nil)
    }

    @Test func aRecreatedServiceGetsNewSlicesAndTheOldServicesGo() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"))
        try await reconcile()
        let old = client.managedSlices(of: "web")[0]
        try await client.delete(.services, namespace: "default", name: "web")
        let recreated = try client.seed(.services, EndpointFixtures.service())[0]
        try await reconcile()
        let slices = client.managedSlices(of: "web")
        try #require(slices.count == 1)
        // A slice of the old incarnation is never taken over (the garbage collector may be deleting it).
        #expect(slices[0].name != old.name)
        #expect(slices[0].ownerReferences.first?["uid"]?.stringValue == recreated.uid)
        #expect(Set(endpoints(slices[0]).keys) == ["a"])
    }

    @Test func aSliceAboutToBeDeletedIsReusedForANewPortGroup() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try client.seed(.nodes, EndpointFixtures.node("node-a"))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5"))
        try await reconcile()
        let old = client.managedSlices(of: "web")[0]
        var service = client.object(.services, namespace: "default", name: "web")!
        service[path: ["spec", "ports"]] = [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090]]
        _ = try await client.update(.services, namespace: "default", service)
        client.clearActions()
        try await reconcile()
        #expect(client.writes.map(\.verb) == ["update"])
        let slices = client.managedSlices(of: "web")
        #expect(slices.map(\.name) == [old.name])
        #expect(slices[0]["ports"] == [["name": "http", "port": 9090, "protocol": "TCP"]])
    }

    @Test func podsOnUnknownNodesAreLeftOutUntilTheirNodeAppears() async throws {
        try client.seed(.services, EndpointFixtures.service())
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5", node: "ghost"))
        try await reconcile()
        #expect(endpoints(client.managedSlices(of: "web")[0]).isEmpty)
    }

    @Test func podChurnThatCannotMoveEndpointsQueuesNothing() async throws {
        let old = EndpointFixtures.pod("a", ip: "10.42.0.5")
        var new = old
        new.setMetadata("resourceVersion", "2")
        new[path: ["status", "containerStatuses"]] = [["name": "c", "restartCount": 1]]
        #expect(!PodEndpointFacts.endpointsChanged(old: old, new: new))
        var unready = new
        unready[path: ["status", "conditions"]] = [["type": "Ready", "status": "False", "lastTransitionTime": "2026-01-01T00:01:00Z"]]
        #expect(PodEndpointFacts.endpointsChanged(old: old, new: unready))
        var moved = new
        moved[path: ["status", "podIP"]] = "10.42.0.9"
        #expect(PodEndpointFacts.endpointsChanged(old: old, new: moved))
    }
}

extension EndpointSliceControllerTests {
    @Test func podsOnUnknownNodesArePublishedWhenTheServiceAsks() async throws {
        try client.seed(.services, EndpointFixtures.service(publishNotReady: true))
        try await client.seedPods(EndpointFixtures.pod("a", ip: "10.42.0.5", node: "ghost"))
        try await reconcile()
        #expect(Set(endpoints(client.managedSlices(of: "web")[0]).keys) == ["a"])
    }
}

@Suite struct SliceWriteTrackerTests {
    let service = ObjectKey(namespace: "default", name: "web")

    func slice(_ name: String, _ version: String) -> JSONValue {
        ["metadata": ["name": .string(name), "resourceVersion": .string(version)]]
    }

    @Test func aCacheBehindOurWritesIsStaleUntilItCatchesUp() async {
        let tracker = SliceWriteTracker()
        await tracker.wrote(slice("web-a", "7"), service: service)
        await tracker.deleted("web-b", service: service)
        #expect(await tracker.isStale(service: service, cached: [slice("web-b", "3")]))
        #expect(await tracker.isStale(service: service, cached: [slice("web-a", "6")]))
        #expect(!(await tracker.isStale(service: service, cached: [slice("web-a", "7")])))
        // Settled expectations are forgotten.
        #expect(!(await tracker.isStale(service: service, cached: [])))
    }

    @Test func aSliceDeletedBeforeTheCacheSawOurWriteSettlesIt() async {
        let tracker = SliceWriteTracker()
        await tracker.wrote(slice("web-a", "7"), service: service)
        #expect(await tracker.isStale(service: service, cached: []))
        await tracker.observedDeletion(of: "web-a", service: service)
        #expect(!(await tracker.isStale(service: service, cached: [])))
    }
}
