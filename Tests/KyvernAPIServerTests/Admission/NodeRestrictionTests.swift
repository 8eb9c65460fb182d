import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct NodeRestrictionTests {
    static let pods: [String: JSONValue] = [
        "mine": ["metadata": ["name": "mine", "namespace": "default", "uid": "uid-mine"], "spec": ["nodeName": "worker-a"]],
        "theirs": ["metadata": ["name": "theirs", "namespace": "default", "uid": "uid-theirs"], "spec": ["nodeName": "worker-b"]],
    ]

    let restriction = NodeRestriction(node: "worker-a", lookup: ObjectLookup { resource, _, name in
        switch resource {
        case "pods": return NodeRestrictionTests.pods[name]
        case "nodes": return name == "worker-a" ? ["metadata": ["name": "worker-a", "uid": "node-uid"]] : nil
        default: return nil
        }
    })

    typealias Attributes = NodeRestriction.Attributes

    /// The 403's message, or nil when admitted.
    func refusal(_ attributes: Attributes) async -> String? {
        do {
            try await restriction.admit(attributes)
            return nil
        } catch {
            #expect(error.code == 403 || error.code == 404)
            return error.message
        }
    }

    static func node(_ name: String, labels: [String: JSONValue] = [:]) -> JSONValue {
        ["metadata": ["name": .string(name), "labels": .object(labels)]]
    }

    // MARK: nodes

    @Test func aNodeModifiesOnlyItsOwnNode() async {
        let other = Attributes(operation: .update, group: "", resource: "nodes", name: "worker-b",
                               object: Self.node("worker-b"), old: Self.node("worker-b"))
        #expect(await refusal(other) == #"nodes "worker-b" is forbidden: node "worker-a" is not allowed to modify node "worker-b""#)
        let create = Attributes(operation: .create, group: "", resource: "nodes", name: "", object: Self.node("worker-b"))
        #expect(await refusal(create) != nil)
        let delete = Attributes(operation: .delete, group: "", resource: "nodes", name: "worker-b")
        #expect(await refusal(delete) != nil)
        let own = Attributes(operation: .update, group: "", resource: "nodes", subresource: "status", name: "worker-a",
                             object: Self.node("worker-a", labels: ["kubernetes.io/hostname": "worker-a"]),
                             old: Self.node("worker-a", labels: ["kubernetes.io/hostname": "worker-a"]))
        #expect(await refusal(own) == nil)
    }

    @Test func aNodeMayNotChangeRestrictedLabels() async {
        let old = Self.node("worker-a", labels: ["node-restriction.kubernetes.io/pool": "a"])
        for labels: [String: JSONValue] in [
            ["node-restriction.kubernetes.io/pool": "b"],
            [:],
            ["node-restriction.kubernetes.io/pool": "a", "node-role.kubernetes.io/control-plane": ""],
        ] {
            let update = Attributes(operation: .update, group: "", resource: "nodes", name: "worker-a",
                                    object: Self.node("worker-a", labels: labels), old: old)
            #expect(await refusal(update)?.hasPrefix(#"nodes "worker-a" is forbidden: is not allowed to modify labels: "#) == true)
        }
        let create = Attributes(operation: .create, group: "", resource: "nodes", name: "",
                                object: Self.node("worker-a", labels: ["example.node-restriction.kubernetes.io/x": "1",
                                                                       "k8s.io/y": "1"]))
        #expect(await refusal(create) == #"nodes "worker-a" is forbidden: node "worker-a" is not allowed to set the following labels: example.node-restriction.kubernetes.io/x, k8s.io/y"#)
    }

    @Test func aNodeSetsKubeletLabelsAndItsOwn() async {
        let labels: [String: JSONValue] = [
            "kubernetes.io/hostname": "worker-a", "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "m", "topology.kubernetes.io/zone": "z",
            "failure-domain.beta.kubernetes.io/region": "r", "kubelet.kubernetes.io/x": "1", "node.kubernetes.io/exclude": "",
            "example.com/team": "blue",
        ]
        let create = Attributes(operation: .create, group: "", resource: "nodes", name: "", object: Self.node("worker-a", labels: labels))
        #expect(await refusal(create) == nil)
        let update = Attributes(operation: .update, group: "", resource: "nodes", name: "worker-a",
                                object: Self.node("worker-a", labels: labels), old: Self.node("worker-a"))
        #expect(await refusal(update) == nil)
    }

    // MARK: pods

    func mirrorPod(node: String = "worker-a", spec: JSONValue = [:], owner: JSONValue? = nil) -> JSONValue {
        var spec = spec
        spec["nodeName"] = .string(node)
        return ["metadata": ["name": "static-web", "namespace": "default",
                             "annotations": ["kubernetes.io/config.mirror": "hash"],
                             "ownerReferences": [owner ?? ["apiVersion": "v1", "kind": "Node", "name": "worker-a",
                                                           "uid": "node-uid", "controller": true]]],
                "spec": spec]
    }

    func create(_ pod: JSONValue) -> Attributes {
        Attributes(operation: .create, group: "", resource: "pods", namespace: "default", name: "static-web", object: pod)
    }

    @Test func aNodeCreatesOnlyMirrorPodsBoundToItselfThatNameNothing() async {
        #expect(await refusal(create(mirrorPod())) == nil)
        var plain = mirrorPod()
        plain[path: ["metadata", "annotations"]] = [:]
        #expect(await refusal(create(plain)) == #"pods "static-web" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "worker-a" can only create mirror pods"#)
        #expect(await refusal(create(mirrorPod(node: "worker-b"))) == #"pods "static-web" is forbidden: node "worker-a" can only create pods with spec.nodeName set to itself"#)
        let wrongUID: JSONValue = ["apiVersion": "v1", "kind": "Node", "name": "worker-a", "uid": "x", "controller": true]
        #expect(await refusal(create(mirrorPod(owner: wrongUID)))?.contains("UID mismatch") == true)
        #expect(await refusal(create(mirrorPod(spec: ["serviceAccountName": "default"])))?.hasSuffix("can not create pods that reference a service account") == true)
        let secret: JSONValue = ["volumes": [["name": "s", "secret": ["secretName": "x"]]]]
        #expect(await refusal(create(mirrorPod(spec: secret)))?.hasSuffix("can not create pods that reference secrets") == true)
        let config: JSONValue = ["containers": [["name": "c", "envFrom": [["configMapRef": ["name": "x"]]]]]]
        #expect(await refusal(create(mirrorPod(spec: config)))?.hasSuffix("can not create pods that reference configmaps") == true)
        let claim: JSONValue = ["volumes": [["name": "d", "persistentVolumeClaim": ["claimName": "x"]]]]
        #expect(await refusal(create(mirrorPod(spec: claim)))?.hasSuffix("can not create pods that reference persistentvolumeclaims") == true)
    }

    @Test func aNodeDeletesOnlyItsOwnPods() async {
        let mine = Attributes(operation: .delete, group: "", resource: "pods", namespace: "default", name: "mine")
        #expect(await refusal(mine) == nil)
        let theirs = Attributes(operation: .delete, group: "", resource: "pods", namespace: "default", name: "theirs")
        #expect(await refusal(theirs) == #"pods "theirs" is forbidden: node "worker-a" can only delete pods with spec.nodeName set to itself"#)
        let update = Attributes(operation: .update, group: "", resource: "pods", namespace: "default", name: "mine",
                                object: Self.pods["mine"], old: Self.pods["mine"])
        #expect(await refusal(update)?.contains("can only create and delete mirror pods") == true)
    }

    @Test func aNodeUpdatesTheStatusOfItsOwnPodsOnly() async {
        var running = Self.pods["mine"]!
        running[path: ["status", "phase"]] = "Running"
        let mine = Attributes(operation: .update, group: "", resource: "pods", subresource: "status", namespace: "default",
                              name: "mine", object: running, old: Self.pods["mine"])
        #expect(await refusal(mine) == nil)
        let theirs = Attributes(operation: .update, group: "", resource: "pods", subresource: "status", namespace: "default",
                                name: "theirs", object: Self.pods["theirs"], old: Self.pods["theirs"])
        #expect(await refusal(theirs) == #"pods "theirs" is forbidden: node "worker-a" can only update pod status for pods with spec.nodeName set to itself"#)
        var relabelled = running
        relabelled[path: ["metadata", "labels"]] = ["app": "x"]
        var labelled = mine
        labelled.object = relabelled
        #expect(await refusal(labelled)?.hasSuffix("cannot update labels through pod status") == true)
    }

    @Test func aNodeEvictsOnlyItsOwnPods() async {
        func eviction(_ pod: String) -> Attributes {
            Attributes(operation: .create, group: "", resource: "pods", subresource: "eviction", namespace: "default", name: pod,
                       object: ["metadata": ["name": .string(pod)]])
        }
        #expect(await refusal(eviction("mine")) == nil)
        #expect(await refusal(eviction("theirs")) == #"pods "theirs" is forbidden: node worker-a can only evict pods with spec.nodeName set to itself"#)
        #expect(await refusal(Attributes(operation: .create, group: "", resource: "pods", subresource: "exec",
                                         namespace: "default", name: "mine")) != nil)
    }

    // MARK: tokens, leases, claims

    @Test func aNodeMintsTokensOnlyBoundToItsOwnPods() async {
        func token(_ ref: JSONValue?) -> Attributes {
            var request: JSONValue = ["spec": [:]]
            if let ref { request[path: ["spec", "boundObjectRef"]] = ref }
            return Attributes(operation: .create, group: "", resource: "serviceaccounts", subresource: "token",
                              namespace: "default", name: "default", object: request)
        }
        #expect(await refusal(token(["apiVersion": "v1", "kind": "Pod", "name": "mine", "uid": "uid-mine"])) == nil)
        #expect(await refusal(token(nil)) == #"serviceaccounts "default" is forbidden: node requested token not bound to a pod"#)
        #expect(await refusal(token(["apiVersion": "v1", "kind": "Pod", "name": "mine"]))?.hasSuffix("pod binding without a uid") == true)
        #expect(await refusal(token(["apiVersion": "v1", "kind": "Pod", "name": "theirs", "uid": "uid-theirs"]))?
            .hasSuffix("node requested token bound to a pod scheduled on a different node") == true)
        #expect(await refusal(token(["apiVersion": "v1", "kind": "Pod", "name": "mine", "uid": "old"]))?
            .contains("does not match the UID in record") == true)
    }

    @Test func aNodeWritesOnlyItsOwnLease() async {
        let lease: JSONValue = ["metadata": ["name": "worker-b"]]
        let create = Attributes(operation: .create, group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease",
                                name: "worker-b", object: lease)
        #expect(await refusal(create) == #"leases.coordination.k8s.io "worker-b" is forbidden: can only access node lease with the same name as the requesting node"#)
        var own = create
        own.object = ["metadata": ["name": "worker-a"]]
        own.name = "worker-a"
        #expect(await refusal(own) == nil)
        var elsewhere = create
        elsewhere.namespace = "kube-system"
        #expect(await refusal(elsewhere) == nil)
    }

    @Test func aNodeChangesOnlyCapacityAndConditionsOfAClaimsStatus() async {
        let old: JSONValue = ["metadata": ["name": "data", "resourceVersion": "1"], "spec": ["volumeName": "pv"],
                              "status": ["phase": "Bound"]]
        var resized = old
        resized[path: ["status", "capacity"]] = ["storage": "2Gi"]
        resized[path: ["metadata", "resourceVersion"]] = "2"
        let ok = Attributes(operation: .update, group: "", resource: "persistentvolumeclaims", subresource: "status",
                            namespace: "default", name: "data", object: resized, old: old)
        #expect(await refusal(ok) == nil)
        var phase = resized
        phase[path: ["status", "phase"]] = "Lost"
        var bad = ok
        bad.object = phase
        #expect(await refusal(bad)?.hasSuffix("is not allowed to update fields other than status.capacity and status.conditions") == true)
        // The claim itself is left to RBAC (Kyvern's local-path provisioner writes claims).
        let spec = Attributes(operation: .update, group: "", resource: "persistentvolumeclaims", namespace: "default",
                              name: "data", object: phase, old: old)
        #expect(await refusal(spec) == nil)
    }

    @Test func aNodeWithoutANameIsRefused() async {
        let nameless = NodeRestriction(node: "", lookup: ObjectLookup { _, _, _ in nil })
        await #expect(throws: APIError.self) {
            try await nameless.admit(Attributes(operation: .create, group: "", resource: "configmaps", name: "x"))
        }
    }
}
