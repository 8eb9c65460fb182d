import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Prometheus
import Synchronization
import Testing
@testable import KyvernControllers

/// Discovery from the server's documents, as the garbage collector and namespace controller use it.
@Suite struct APIDiscoveryTests {
    let client = FakeClient()
    static let widgets = ResourceRef(group: "example.com", version: "v1", resource: "widgets", namespaced: true)

    static func resource(_ name: String, _ kind: String, namespaced: Bool = true,
                         verbs: [String] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]) -> JSONValue {
        ["name": .string(name), "singularName": "", "namespaced": .bool(namespaced), "kind": .string(kind),
         "verbs": .array(verbs.map(JSONValue.string))]
    }

    /// A small server: core v1, apps (v1 preferred over a v1beta1 that repeats deployments), events.
    func serveBuiltIns() {
        client.serve("/api", ["kind": "APIVersions", "versions": ["v1"]])
        client.serve("/apis", ["kind": "APIGroupList", "apiVersion": "v1", "groups": [
            ["name": "apps", "versions": [["groupVersion": "apps/v1beta1", "version": "v1beta1"],
                                          ["groupVersion": "apps/v1", "version": "v1"]],
             "preferredVersion": ["groupVersion": "apps/v1", "version": "v1"]],
            ["name": "events.k8s.io", "versions": [["groupVersion": "events.k8s.io/v1", "version": "v1"]],
             "preferredVersion": ["groupVersion": "events.k8s.io/v1", "version": "v1"]],
        ]])
        client.serve("/api/v1", ["kind": "APIResourceList", "groupVersion": "v1", "resources": [
            Self.resource("configmaps", "ConfigMap"), Self.resource("events", "Event"),
            Self.resource("namespaces", "Namespace", namespaced: false),
            Self.resource("pods", "Pod"), Self.resource("pods/status", "Pod", verbs: ["get", "patch", "update"]),
            Self.resource("bindings", "Binding", verbs: ["create"]),
            Self.resource("componentstatuses", "ComponentStatus", namespaced: false, verbs: ["get", "list"]),
        ]])
        client.serve("/apis/apps/v1", ["kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
            Self.resource("deployments", "Deployment"), Self.resource("deployments/scale", "Scale", verbs: ["get", "update"]),
        ]])
        client.serve("/apis/apps/v1beta1", ["kind": "APIResourceList", "groupVersion": "apps/v1beta1", "resources": [
            Self.resource("deployments", "Deployment"), Self.resource("statefulsets", "StatefulSet"),
        ]])
        client.serve("/apis/events.k8s.io/v1", ["kind": "APIResourceList", "groupVersion": "events.k8s.io/v1",
                                                "resources": [Self.resource("events", "Event")]])
    }

    func names(_ resources: [GCResource]) -> [String] {
        resources.map { "\($0.ref.group)/\($0.ref.version)/\($0.ref.resource):\($0.kind)" }
    }

    @Test func collectedResourcesArePreferredVersionsWithDeleteListWatchExceptEventsAndSubresources() async throws {
        serveBuiltIns()
        let found = try await APIDiscovery(client: client).collectedResources()
        #expect(names(found.resources) == ["/v1/configmaps:ConfigMap", "/v1/namespaces:Namespace", "/v1/pods:Pod",
                                           "apps/v1/deployments:Deployment", "apps/v1beta1/statefulsets:StatefulSet"])
        #expect(found.failures.isEmpty)
        #expect(found.resources.first { $0.ref.resource == "namespaces" }?.ref.namespaced == false)
    }

    @Test func namespacedResourcesIncludeEventsButNotClusterScopedOnes() async throws {
        serveBuiltIns()
        let found = try await APIDiscovery(client: client).namespacedResources()
        #expect(names(found.resources) == ["/v1/configmaps:ConfigMap", "/v1/events:Event", "/v1/pods:Pod",
                                           "apps/v1/deployments:Deployment", "apps/v1beta1/statefulsets:StatefulSet",
                                           "events.k8s.io/v1/events:Event"])
    }

    @Test func anUnreadableGroupVersionIsReportedAndTheRestReturned() async throws {
        serveBuiltIns()
        client.failNext(verb: "get", resource: "/apis/apps/v1",
                        with: APIError(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request"))
        let found = try await APIDiscovery(client: client).collectedResources()
        #expect(found.failures == ["apps/v1: the server is currently unable to handle the request"])
        // apps/v1beta1 still serves deployments, so they are not lost.
        #expect(names(found.resources).contains("apps/v1beta1/deployments:Deployment"))
    }

    @Test func anUnreadableGroupListThrows() async throws {
        await #expect(throws: APIError.self) { try await APIDiscovery(client: client).collectedResources() }
    }

    func serveWidgetGroup() {
        client.serve("/apis", ["kind": "APIGroupList", "groups": [["name": "example.com", "versions": [["groupVersion": "example.com/v1", "version": "v1"]],
                           "preferredVersion": ["groupVersion": "example.com/v1", "version": "v1"]]]])
        client.serve("/apis/example.com/v1", ["kind": "APIResourceList", "groupVersion": "example.com/v1",
                                              "resources": [Self.resource("widgets", "Widget")]])
    }

    @Test func theCollectorWatchesAResourceServedAfterItStarted() async throws {
        client.serve("/api", ["kind": "APIVersions", "versions": ["v1"]])
        client.serve("/apis", ["kind": "APIGroupList", "groups": []])
        client.serve("/api/v1", ["kind": "APIResourceList", "groupVersion": "v1",
                                 "resources": [Self.resource("configmaps", "ConfigMap")]])
        let collector = GarbageCollector(client: client, resources: [])
        let watched = Mutex<[String]>([])
        let client = client
        let monitor = GCResourceMonitor(
            discovery: APIDiscovery(client: client), collector: collector,
            queue: ControllerQueue(queue: WorkQueue<ObjectKey>(name: "gc-test"),
                                   metrics: ControllerMetrics(controller: "gc-test", registry: .init())),
            informer: { ref in
                watched.withLock { $0.append(ref.resource) }
                return Informer(client: client, resource: ref)
            }, logger: Logger(label: "test"))
        #expect(names(try await monitor.sync()) == ["/v1/configmaps:ConfigMap"])
        #expect(try await monitor.sync().isEmpty, "a known resource is not watched twice")

        serveWidgetGroup()
        #expect(names(try await monitor.sync()) == ["example.com/v1/widgets:Widget"])
        #expect(watched.withLock { $0 } == ["configmaps", "widgets"])
        #expect(names(await collector.resources) == ["/v1/configmaps:ConfigMap", "example.com/v1/widgets:Widget"])
    }

    @Test func aTerminatingNamespaceIsEmptiedOfDiscoveredCustomResources() async throws {
        client.serve("/api", ["kind": "APIVersions", "versions": ["v1"]])
        client.serve("/api/v1", ["kind": "APIResourceList", "groupVersion": "v1",
                                 "resources": [Self.resource("configmaps", "ConfigMap")]])
        serveWidgetGroup()
        _ = try await client.create(.namespaces, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"],
                                                  "spec": ["finalizers": ["kubernetes"]]])
        _ = try await client.create(Self.widgets, namespace: "team",
                                    ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w", "namespace": "team"]])
        try await client.delete(.namespaces, name: "team")
        let discovery = APIDiscovery(client: client)
        let deleter = NamespaceContentDeleter(client: client, resources: {
            let found = try await discovery.namespacedResources()
            return (found.resources.map(\.ref), found.failures)
        }, logger: Logger(label: "test"))
        #expect(try await deleter.sync(namespace: "team") == .finalized)
        #expect(client.objects(Self.widgets, namespace: "team").isEmpty)
    }
}
