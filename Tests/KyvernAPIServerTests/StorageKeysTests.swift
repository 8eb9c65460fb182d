import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("StorageKeys")
struct StorageKeysTests {
    func info(_ group: String, _ resource: String) throws -> ResourceInfo {
        try #require(ResourceCatalog.all.first { $0.group == group && $0.resource == resource })
    }

    @Test("resource prefixes: core is spelled 'core'")
    func resourcePrefix() {
        #expect(StorageKeys.root == "/registry/")
        #expect(StorageKeys.resourcePrefix(group: "", resource: "pods") == "/registry/core/pods/")
        #expect(StorageKeys.resourcePrefix(group: "apps", resource: "deployments") == "/registry/apps/deployments/")
    }

    @Test("keys of namespaced objects")
    func namespacedKey() throws {
        #expect(StorageKeys.key(try info("", "configmaps"), namespace: "ns", name: "cm") == "/registry/core/configmaps/ns/cm")
        #expect(StorageKeys.key(try info("apps", "deployments"), namespace: "prod", name: "web")
            == "/registry/apps/deployments/prod/web")
        #expect(StorageKeys.key(try info("coordination.k8s.io", "leases"), namespace: "kube-node-lease", name: "n1")
            == "/registry/coordination.k8s.io/leases/kube-node-lease/n1")
    }

    @Test("keys of cluster-scoped objects ignore a namespace")
    func clusterKey() throws {
        #expect(StorageKeys.key(try info("", "namespaces"), namespace: nil, name: "default") == "/registry/core/namespaces/default")
        #expect(StorageKeys.key(try info("", "nodes"), namespace: "ignored", name: "n1") == "/registry/core/nodes/n1")
        #expect(StorageKeys.key(try info("storage.k8s.io", "storageclasses"), namespace: nil, name: "fast")
            == "/registry/storage.k8s.io/storageclasses/fast")
    }

    @Test("prefixes: one namespace, all namespaces, cluster-scoped")
    func prefixes() throws {
        let pods = try info("", "pods")
        #expect(StorageKeys.prefix(pods, namespace: "ns") == "/registry/core/pods/ns/")
        #expect(StorageKeys.prefix(pods, namespace: nil) == "/registry/core/pods/")
        let nodes = try info("", "nodes")
        #expect(StorageKeys.prefix(nodes, namespace: nil) == "/registry/core/nodes/")
        #expect(StorageKeys.prefix(nodes, namespace: "ns") == "/registry/core/nodes/")
    }

    @Test("a key is under its own prefixes")
    func keyUnderPrefix() throws {
        let pods = try info("", "pods")
        let key = StorageKeys.key(pods, namespace: "ns", name: "p")
        #expect(key.hasPrefix(StorageKeys.prefix(pods, namespace: "ns")))
        #expect(key.hasPrefix(StorageKeys.prefix(pods, namespace: nil)))
        #expect(!key.hasPrefix(StorageKeys.prefix(pods, namespace: "n")))
    }

    @Test("bucket of a key is its resource prefix")
    func bucket() {
        #expect(StorageKeys.bucket(ofKey: "/registry/core/configmaps/ns/name") == "/registry/core/configmaps/")
        #expect(StorageKeys.bucket(ofKey: "/registry/core/nodes/n1") == "/registry/core/nodes/")
        #expect(StorageKeys.bucket(ofKey: "/registry/apps/deployments/ns/web") == "/registry/apps/deployments/")
        #expect(StorageKeys.bucket(ofKey: "/registry/core/configmaps/") == "/registry/core/configmaps/")
    }

    @Test("bucket of keys outside the registry or too short is nil", arguments: [
        "", "/", "/registry/", "/registry/core", "/registry/core/pods", "/other/core/pods/ns/x", "registry/core/pods/ns/x",
    ])
    func noBucket(_ key: String) {
        #expect(StorageKeys.bucket(ofKey: key) == nil)
    }

    @Test("every catalog resource's keys fall in its bucket")
    func everyResource() {
        for info in ResourceCatalog.all {
            let key = StorageKeys.key(info, namespace: info.namespaced ? "ns" : nil, name: "x")
            let bucket = StorageKeys.bucket(ofKey: key).map(String.init)
            #expect(bucket == StorageKeys.resourcePrefix(group: info.group, resource: info.resource), "\(key)")
        }
    }
}
