import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("RequestTarget.parse")
struct RequestTargetTests {
    /// Splits a path the way `APIResponder` does before parsing.
    func parse(_ path: String) -> RequestTarget? {
        RequestTarget.parse(path.split(separator: "/", omittingEmptySubsequences: true))
    }

    func target(_ group: String, _ version: String, namespace: String? = nil, _ resource: String,
                name: String? = nil, subresource: String? = nil) -> RequestTarget {
        RequestTarget(group: group, version: version, namespace: namespace, resource: resource, name: name,
                      subresource: subresource)
    }

    // MARK: core group

    @Test("core cluster-wide collection")
    func coreClusterCollection() {
        #expect(parse("/api/v1/nodes") == target("", "v1", "nodes"))
    }

    @Test("core cluster-scoped object")
    func coreClusterObject() {
        #expect(parse("/api/v1/nodes/node-1") == target("", "v1", "nodes", name: "node-1"))
    }

    @Test("core namespaced collection")
    func coreNamespacedCollection() {
        #expect(parse("/api/v1/namespaces/default/pods") == target("", "v1", namespace: "default", "pods"))
    }

    @Test("core namespaced object")
    func coreNamespacedObject() {
        #expect(parse("/api/v1/namespaces/default/pods/web-0")
            == target("", "v1", namespace: "default", "pods", name: "web-0"))
    }

    @Test("core namespaced list across namespaces has no namespace")
    func coreAllNamespaces() {
        let parsed = parse("/api/v1/pods")
        #expect(parsed == target("", "v1", "pods"))
        #expect(parsed?.namespace == nil)
    }

    @Test("core subresources", arguments: ["status", "binding", "eviction", "log", "exec"])
    func coreSubresources(_ sub: String) {
        #expect(parse("/api/v1/namespaces/ns/pods/p/\(sub)")
            == target("", "v1", namespace: "ns", "pods", name: "p", subresource: sub))
    }

    @Test("cluster-scoped subresource")
    func clusterSubresource() {
        #expect(parse("/api/v1/nodes/n1/status") == target("", "v1", "nodes", name: "n1", subresource: "status"))
    }

    @Test("proxy subresource keeps the rest of the path")
    func proxyPath() {
        #expect(parse("/api/v1/namespaces/ns/pods/p/proxy/a/b")
            == target("", "v1", namespace: "ns", "pods", name: "p", subresource: "proxy/a/b"))
    }

    // MARK: API groups

    @Test("group namespaced collection and object")
    func groupNamespaced() {
        #expect(parse("/apis/apps/v1/namespaces/prod/deployments")
            == target("apps", "v1", namespace: "prod", "deployments"))
        #expect(parse("/apis/apps/v1/namespaces/prod/deployments/web")
            == target("apps", "v1", namespace: "prod", "deployments", name: "web"))
    }

    @Test("group subresource")
    func groupSubresource() {
        #expect(parse("/apis/apps/v1/namespaces/prod/deployments/web/scale")
            == target("apps", "v1", namespace: "prod", "deployments", name: "web", subresource: "scale"))
        #expect(parse("/apis/apps/v1/namespaces/prod/deployments/web/status")
            == target("apps", "v1", namespace: "prod", "deployments", name: "web", subresource: "status"))
    }

    @Test("group cluster-scoped resource")
    func groupCluster() {
        #expect(parse("/apis/storage.k8s.io/v1/storageclasses")
            == target("storage.k8s.io", "v1", "storageclasses"))
        #expect(parse("/apis/scheduling.k8s.io/v1/priorityclasses/high")
            == target("scheduling.k8s.io", "v1", "priorityclasses", name: "high"))
    }

    @Test("group collection across namespaces")
    func groupAllNamespaces() {
        #expect(parse("/apis/batch/v1/jobs") == target("batch", "v1", "jobs"))
    }

    // MARK: namespaces themselves

    @Test("namespaces collection")
    func namespacesCollection() {
        #expect(parse("/api/v1/namespaces") == target("", "v1", "namespaces"))
    }

    @Test("namespaces/x names the namespace")
    func namespaceObject() {
        let parsed = parse("/api/v1/namespaces/kube-system")
        #expect(parsed == target("", "v1", "namespaces", name: "kube-system"))
        #expect(parsed?.namespace == nil)
    }

    @Test("namespaces/x/status is the namespace's status subresource")
    func namespaceStatus() {
        let parsed = parse("/api/v1/namespaces/kube-system/status")
        #expect(parsed == target("", "v1", "namespaces", name: "kube-system", subresource: "status"))
        #expect(parsed?.namespace == nil)
    }

    @Test("namespaces/x/finalize is the namespace's finalize subresource")
    func namespaceFinalize() {
        let parsed = parse("/api/v1/namespaces/doomed/finalize")
        #expect(parsed == target("", "v1", "namespaces", name: "doomed", subresource: "finalize"))
        #expect(parsed?.namespace == nil)
    }

    @Test("namespaces/x/<resource> is a namespaced collection, not a subresource")
    func namespaceScopedCollection() {
        #expect(parse("/api/v1/namespaces/ns/configmaps") == target("", "v1", namespace: "ns", "configmaps"))
        #expect(parse("/api/v1/namespaces/ns/configmaps/status")
            == target("", "v1", namespace: "ns", "configmaps", name: "status"))
    }

    @Test("raw segments: empty segments are the caller's business")
    func rawSegments() {
        let segments: [Substring] = ["api", "v1", "namespaces", "a", "pods", "b"]
        #expect(RequestTarget.parse(segments) == target("", "v1", namespace: "a", "pods", name: "b"))
    }

    // MARK: not resource paths

    @Test("non-resource and discovery paths are nil", arguments: [
        "/", "/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1",
        "/healthz", "/version", "/openapi/v2", "/metrics", "/foo/v1/pods", "/apix/apps/v1/deployments",
    ])
    func invalid(_ path: String) {
        #expect(parse(path) == nil)
    }
}
