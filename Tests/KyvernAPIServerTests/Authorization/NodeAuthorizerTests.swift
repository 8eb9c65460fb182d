import KyvernAPI
import KyvernStore
import Logging
import Testing
@testable import KyvernAPIServer

@Suite struct NodeAuthorizerTests {
    static let workerA = UserInfo(name: "system:node:worker-a", groups: ["system:nodes", "system:authenticated"])

    static func pod(_ name: String, namespace: String = "default", node: String, spec: JSONValue = [:]) -> JSONValue {
        var spec = spec
        spec["nodeName"] = .string(node)
        if spec["containers"] == nil { spec["containers"] = [["name": "c", "image": "busybox"]] }
        return ["metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec]
    }

    /// A pod on worker-a naming one object of each kind, and a pod on worker-b naming others.
    static let pods: [JSONValue] = [
        pod("web", node: "worker-a", spec: [
            "serviceAccountName": "web-sa",
            "imagePullSecrets": [["name": "pull"]],
            "containers": [["name": "c", "image": "x",
                            "env": [["name": "A", "valueFrom": ["secretKeyRef": ["name": "env-secret", "key": "k"]]],
                                    ["name": "B", "valueFrom": ["configMapKeyRef": ["name": "env-config", "key": "k"]]]],
                            "envFrom": [["secretRef": ["name": "envfrom-secret"]], ["configMapRef": ["name": "envfrom-config"]]]]],
            "initContainers": [["name": "i", "image": "x", "envFrom": [["secretRef": ["name": "init-secret"]]]]],
            "ephemeralContainers": [["name": "e", "image": "x", "envFrom": [["configMapRef": ["name": "debug-config"]]]]],
            "volumes": [
                ["name": "s", "secret": ["secretName": "volume-secret"]],
                ["name": "c", "configMap": ["name": "volume-config"]],
                ["name": "p", "projected": ["sources": [["secret": ["name": "projected-secret"]],
                                                        ["configMap": ["name": "projected-config"]]]]],
                ["name": "csi", "csi": ["driver": "d", "nodePublishSecretRef": ["name": "csi-secret"]]],
                ["name": "data", "persistentVolumeClaim": ["claimName": "data"]],
                ["name": "scratch", "ephemeral": ["volumeClaimTemplate": ["spec": [:]]]],
            ],
            "resourceClaims": [["name": "gpu", "resourceClaimName": "gpu-claim"]],
        ]),
        pod("other", node: "worker-b", spec: [
            "volumes": [["name": "s", "secret": ["secretName": "b-secret"]], ["name": "d", "persistentVolumeClaim": ["claimName": "b-data"]]],
        ]),
    ]

    static let objects: [String: JSONValue] = [
        "/persistentvolumeclaims/default/data": ["spec": ["volumeName": "pv-data"]],
        "/persistentvolumeclaims/default/b-data": ["spec": ["volumeName": "pv-b"]],
        "/persistentvolumes//pv-data": ["spec": ["claimRef": ["namespace": "default", "name": "data"],
                                                 "csi": ["driver": "d", "nodeStageSecretRef": ["name": "stage-secret"]]]],
        "storage.k8s.io/volumeattachments//va-a": ["spec": ["nodeName": "worker-a"]],
        "storage.k8s.io/volumeattachments//va-b": ["spec": ["nodeName": "worker-b"]],
    ]

    var authorizer: NodeAuthorizer {
        NodeAuthorizer(objects: NodeObjects(
            podsOnNode: { node in Self.pods.filter { $0[path: ["spec", "nodeName"]]?.stringValue == node } },
            get: { group, resource, namespace, name in Self.objects["\(group)/\(resource)/\(namespace)/\(name)"] },
            sync: {}))
    }

    func decide(_ verb: String, _ resource: String, _ name: String, namespace: String = "default", group: String = "",
                subresource: String = "", user: UserInfo = workerA) async -> AuthorizationDecision? {
        await authorizer.authorize(AuthorizationAttributes(user: user, verb: verb, namespace: namespace, apiGroup: group,
                                                           resource: resource, subresource: subresource, name: name))
    }

    func allowed(_ verb: String, _ resource: String, _ name: String, namespace: String = "default", group: String = "",
                 subresource: String = "") async -> Bool {
        await decide(verb, resource, name, namespace: namespace, group: group, subresource: subresource)?.allowed == true
    }

    @Test func aNodeReadsTheSecretsItsPodsReference() async {
        for name in ["pull", "env-secret", "envfrom-secret", "init-secret", "volume-secret", "projected-secret", "csi-secret",
                     "stage-secret"] {
            #expect(await allowed("get", "secrets", name), "\(name)")
        }
        #expect(await allowed("watch", "secrets", "volume-secret"))
        #expect(await allowed("list", "secrets", "volume-secret"))
    }

    @Test func aNodeMayNotReadOtherSecrets() async {
        let denied = await decide("get", "secrets", "b-secret")
        #expect(denied?.allowed == false)
        #expect(denied?.reason == "no relationship found between node 'worker-a' and this object")
        #expect(await allowed("get", "secrets", "volume-secret", namespace: "other") == false)
        // A list or watch of every secret names no object.
        #expect(await decide("list", "secrets", "")?.reason == "No Object name found")
        #expect(await decide("update", "secrets", "volume-secret")?.reason == "can only read resources of this type")
    }

    @Test func aNodeReadsTheConfigMapsItsPodsReference() async {
        for name in ["env-config", "envfrom-config", "debug-config", "volume-config", "projected-config"] {
            #expect(await allowed("get", "configmaps", name), "\(name)")
        }
        #expect(await allowed("get", "configmaps", "kube-root-ca.crt") == false)
    }

    @Test func aNodeGetsItsPodsClaimsAndTheirVolumes() async {
        #expect(await allowed("get", "persistentvolumeclaims", "data"))
        #expect(await allowed("get", "persistentvolumeclaims", "web-scratch"))
        #expect(await allowed("get", "persistentvolumeclaims", "b-data") == false)
        #expect(await allowed("list", "persistentvolumeclaims", "data") == false)
        #expect(await allowed("patch", "persistentvolumeclaims", "data", subresource: "status"))
        #expect(await allowed("patch", "persistentvolumeclaims", "b-data", subresource: "status") == false)
        #expect(await allowed("get", "persistentvolumes", "pv-data", namespace: ""))
        #expect(await allowed("get", "persistentvolumes", "pv-b", namespace: "") == false)
    }

    @Test func aNodeGetsResourceClaimsAndVolumeAttachmentsOfItsPods() async {
        #expect(await allowed("get", "resourceclaims", "gpu-claim", group: "resource.k8s.io"))
        #expect(await allowed("get", "resourceclaims", "other", group: "resource.k8s.io") == false)
        #expect(await allowed("get", "volumeattachments", "va-a", namespace: "", group: "storage.k8s.io"))
        #expect(await allowed("get", "volumeattachments", "va-b", namespace: "", group: "storage.k8s.io") == false)
    }

    @Test func aNodeMintsTokensOnlyForItsPodsServiceAccounts() async {
        #expect(await allowed("create", "serviceaccounts", "web-sa", subresource: "token"))
        #expect(await allowed("get", "serviceaccounts", "web-sa"))
        #expect(await allowed("create", "serviceaccounts", "default", subresource: "token") == false)
        #expect(await decide("create", "serviceaccounts", "")?.reason == "can only create tokens for individual service accounts")
    }

    @Test func leasesAndCSINodesOnlyByTheirOwnName() async {
        #expect(await allowed("update", "leases", "worker-a", namespace: "kube-node-lease", group: "coordination.k8s.io"))
        #expect(await allowed("create", "leases", "", namespace: "kube-node-lease", group: "coordination.k8s.io"))
        #expect(await allowed("update", "leases", "worker-b", namespace: "kube-node-lease", group: "coordination.k8s.io") == false)
        #expect(await allowed("get", "leases", "worker-a", namespace: "default", group: "coordination.k8s.io") == false)
        #expect(await allowed("update", "csinodes", "worker-a", namespace: "", group: "storage.k8s.io"))
        #expect(await allowed("update", "csinodes", "worker-b", namespace: "", group: "storage.k8s.io") == false)
    }

    @Test func everythingElseFollowsTheNodeRoleOfTheBootstrapPolicy() async {
        #expect(!NodeAuthorizer.nodeRules.isEmpty)
        #expect(await allowed("patch", "nodes", "worker-b", namespace: ""))
        #expect(await allowed("patch", "nodes", "worker-a", namespace: "", subresource: "status"))
        #expect(await allowed("create", "events", "", namespace: "default"))
        #expect(await allowed("list", "pods", "", namespace: ""))
        #expect(await allowed("delete", "nodes", "worker-a", namespace: "") == false)
        #expect(await allowed("create", "deployments", "", group: "apps") == false)
        #expect(await decide("create", "deployments", "", group: "apps")?.reason == "")
    }

    @Test func onlyPerNodeIdentitiesAreNodes() async {
        #expect(NodeIdentity.nodeName(of: Self.workerA) == "worker-a")
        #expect(NodeIdentity.nodeName(of: UserInfo(name: "system:node:worker-a", groups: [])) == nil)
        #expect(NodeIdentity.nodeName(of: UserInfo(name: "alice", groups: ["system:nodes"])) == nil)
        // The join token's bootstrap identity is no node at all.
        #expect(NodeIdentity.nodeName(of: .nodeBootstrapper) == nil)
        #expect(await decide("get", "secrets", "b-secret", user: .nodeBootstrapper) == nil)
        #expect(!BootstrapPolicy.clusterRoleBindings.contains { $0.name == "kyvern:node-agents" })
        let unnamed = UserInfo(name: "system:node:", groups: ["system:nodes"])
        #expect(await decide("get", "secrets", "pull", user: unnamed)?.reason == "unknown node for user \"system:node:\"")
    }

    @Test func theChainJoinsReasonsAndRBACStillDecidesAfterTheNodeAuthorizer() async {
        let cache = WatchCache(logger: Logger(label: "test"))
        let chain = Authorizer(modes: [.node, .rbac], rbac: RBACAuthorizer(cache: cache), node: authorizer)
        let secret = AuthorizationAttributes(user: Self.workerA, verb: "get", namespace: "default", resource: "secrets", name: "b-secret")
        let denied = await chain.authorize(secret)
        #expect(denied.allowed == false)
        #expect(ForbiddenError.make(secret, reason: denied.reason).message
            == #"secrets "b-secret" is forbidden: User "system:node:worker-a" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'worker-a' and this object"#)
        var own = secret
        own.name = "volume-secret"
        #expect(await chain.authorize(own).allowed)
        #expect(await Authorizer(modes: [.rbac], rbac: RBACAuthorizer(cache: cache), node: authorizer).authorize(own).allowed == false)
    }

    @Test func theWatchCacheIndexesPodsByNode() async throws {
        let cache = WatchCache(logger: Logger(label: "test"))
        let prefix = StorageKeys.resourcePrefix(group: "", resource: "pods")
        func put(_ pod: JSONValue, _ revision: Int64) -> StoreEvent {
            let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
            return StoreEvent(kind: .put, kv: KeyValue(key: prefix + "default/" + name, value: pod.serialized(),
                                                       createRevision: revision, modRevision: revision), previous: nil)
        }
        await cache.load([put(Self.pod("a1", node: "worker-a"), 1).kv, put(Self.pod("b1", node: "worker-b"), 1).kv], revision: 1)
        #expect(await cache.pods(onNode: "worker-a").map(\.key) == [prefix + "default/a1"])
        // Bound later, moved, deleted.
        var unbound = Self.pod("a2", node: "")
        unbound[path: ["spec", "nodeName"]] = nil
        await cache.apply([put(unbound, 2)])
        #expect(await cache.pods(onNode: "worker-a").count == 1)
        await cache.apply([put(Self.pod("a2", node: "worker-a"), 3)])
        #expect(Set(await cache.pods(onNode: "worker-a").map(\.key)) == [prefix + "default/a1", prefix + "default/a2"])
        await cache.apply([StoreEvent(kind: .delete, kv: KeyValue(key: prefix + "default/a1", value: [], createRevision: 1,
                                                                  modRevision: 4), previous: nil)])
        #expect(await cache.pods(onNode: "worker-a").map(\.key) == [prefix + "default/a2"])
        #expect(await cache.pods(onNode: "worker-b").map(\.key) == [prefix + "default/b1"])
    }
}
