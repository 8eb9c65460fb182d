import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("KindStrategy")
struct KindStrategyTests {
    func strategy(_ group: String, _ resource: String) throws -> KindStrategy {
        let info = try #require(ResourceCatalog.all.first { $0.group == group && $0.resource == resource })
        return KindStrategy(info: info)
    }

    static func container(requests: JSONValue? = nil, limits: JSONValue? = nil) -> JSONValue {
        var c: JSONValue = ["name": "c", "image": "busybox"]
        if let requests { c[path: ["resources", "requests"]] = requests }
        if let limits { c[path: ["resources", "limits"]] = limits }
        return c
    }

    static func pod(_ containers: [JSONValue], initContainers: [JSONValue] = []) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "ns"],
                              "spec": ["containers": .array(containers)]]
        if !initContainers.isEmpty { pod[path: ["spec", "initContainers"]] = .array(initContainers) }
        return pod
    }

    // MARK: selectable fields

    @Test("pod selectable fields")
    func podFields() throws {
        let pod: JSONValue = [
            "metadata": ["name": "web-0", "namespace": "prod"],
            "spec": ["nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "serviceAccountName": "sa", "hostNetwork": true],
            "status": ["phase": "Running", "podIP": "10.0.0.5", "nominatedNodeName": "node-2"],
        ]
        let fields = try strategy("", "pods").selectableFields(pod)
        #expect(fields == [
            "metadata.name": "web-0", "metadata.namespace": "prod",
            "spec.nodeName": "node-1", "spec.restartPolicy": "Always", "spec.schedulerName": "default-scheduler",
            "spec.serviceAccountName": "sa", "spec.hostNetwork": "true",
            "status.phase": "Running", "status.podIP": "10.0.0.5", "status.nominatedNodeName": "node-2",
        ])
    }

    @Test("pod selectable fields of an unscheduled pod are empty strings")
    func podFieldsEmpty() throws {
        let fields = try strategy("", "pods").selectableFields(["metadata": ["name": "p", "namespace": "ns"]])
        #expect(fields["spec.nodeName"] == "")
        #expect(fields["status.phase"] == "")
        #expect(fields["spec.hostNetwork"] == "false")
        #expect(fields.count == 10)
    }

    @Test("the field selector spec.nodeName= / status.phase matches through the fields")
    func podFieldSelector() throws {
        let s = try strategy("", "pods")
        let scheduled: JSONValue = ["metadata": ["name": "a", "namespace": "ns"], "spec": ["nodeName": "n1"],
                                    "status": ["phase": "Running"]]
        let pending: JSONValue = ["metadata": ["name": "b", "namespace": "ns"], "status": ["phase": "Pending"]]
        let unscheduled = try FieldSelector.parse("spec.nodeName=")
        #expect(unscheduled.matches(s.selectableFields(pending)))
        #expect(!unscheduled.matches(s.selectableFields(scheduled)))
        let notDone = try FieldSelector.parse("status.phase!=Succeeded,status.phase!=Failed")
        #expect(notDone.matches(s.selectableFields(scheduled)))
        let onNode = try FieldSelector.parse("spec.nodeName=n1")
        #expect(onNode.matches(s.selectableFields(scheduled)))
    }

    @Test("cluster-scoped kinds have no metadata.namespace field")
    func clusterFields() throws {
        let nodes = try strategy("", "nodes").selectableFields(["metadata": ["name": "n"], "spec": ["unschedulable": true]])
        #expect(nodes == ["metadata.name": "n", "spec.unschedulable": "true"])
        let ns = try strategy("", "namespaces").selectableFields(["metadata": ["name": "x"], "status": ["phase": "Active"]])
        #expect(ns == ["metadata.name": "x", "status.phase": "Active"])
    }

    @Test("other kinds' selectable fields")
    func otherFields() throws {
        let secret = try strategy("", "secrets").selectableFields(["metadata": ["name": "s", "namespace": "n"], "type": "Opaque"])
        #expect(secret["type"] == "Opaque")
        let event = try strategy("", "events").selectableFields([
            "metadata": ["name": "e", "namespace": "n"], "reason": "Scheduled", "type": "Normal",
            "involvedObject": ["kind": "Pod", "name": "p", "namespace": "n"], "source": ["component": "sched"],
        ])
        #expect(event["involvedObject.kind"] == "Pod")
        #expect(event["involvedObject.name"] == "p")
        #expect(event["involvedObject.uid"] == "")
        #expect(event["reason"] == "Scheduled")
        #expect(event["source"] == "sched")
        let rs = try strategy("apps", "replicasets").selectableFields(["metadata": ["name": "r", "namespace": "n"],
                                                                        "status": ["replicas": 3]])
        #expect(rs["status.replicas"] == "3")
        let svc = try strategy("", "services").selectableFields(["metadata": ["name": "s", "namespace": "n"],
                                                                 "spec": ["clusterIP": "10.96.0.1", "type": "ClusterIP"]])
        #expect(svc["spec.clusterIP"] == "10.96.0.1")
        #expect(svc["spec.type"] == "ClusterIP")
        let cm = try strategy("", "configmaps").selectableFields(["metadata": ["name": "c", "namespace": "n"]])
        #expect(cm == ["metadata.name": "c", "metadata.namespace": "n"])
    }

    // MARK: names

    @Test("name rules per kind")
    func nameRules() throws {
        #expect(try strategy("", "namespaces").nameRule == .dns1123Label)
        #expect(try strategy("", "services").nameRule == .dns1035Label)
        #expect(try strategy("", "pods").nameRule == .dns1123Subdomain)
        #expect(try strategy("", "configmaps").nameRule == .dns1123Subdomain)
        #expect(try strategy("apps", "deployments").nameRule == .dns1123Subdomain)
        #expect(try strategy("", "nodes").nameRule == .dns1123Subdomain)
        #expect(try strategy("rbac.authorization.k8s.io", "clusterrolebindings").nameRule == .pathSegment)
    }

    @Test("upstream: StatefulSet names are DNS labels")
    func statefulSetNameRule() throws {
        // k8s.io/kubernetes pkg/apis/apps/validation: ValidateStatefulSetName = NameIsDNSLabel (the name is
        // part of every pod's host name). KindStrategy.nameRule falls through to dns1123Subdomain, so
        // "my.sts" is accepted.
        let rule = try strategy("apps", "statefulsets").nameRule
        #expect(rule == .dns1123Label)
    }

    // MARK: status subresource and initial status

    @Test("hasStatusSubresource follows the catalog")
    func statusSubresource() throws {
        #expect(try strategy("", "pods").hasStatusSubresource)
        #expect(try strategy("apps", "deployments").hasStatusSubresource)
        #expect(try !strategy("", "configmaps").hasStatusSubresource)
        #expect(try !strategy("coordination.k8s.io", "leases").hasStatusSubresource)
    }

    @Test("a new pod is Pending with a QoS class, whatever status it was sent with")
    func podInitialStatus() throws {
        var pod = Self.pod([Self.container()])
        pod["status"] = ["phase": "Running", "podIP": "1.2.3.4"]
        #expect(try strategy("", "pods").initialStatus(for: pod) == ["phase": "Pending", "qosClass": "BestEffort"])
    }

    @Test("initial status of other kinds")
    func otherInitialStatus() throws {
        let sent: JSONValue = ["status": ["phase": "Bogus"]]
        #expect(try strategy("", "namespaces").initialStatus(for: sent) == ["phase": "Active"])
        #expect(try strategy("", "persistentvolumes").initialStatus(for: sent) == ["phase": "Pending"])
        #expect(try strategy("", "persistentvolumeclaims").initialStatus(for: sent) == ["phase": "Pending"])
        #expect(try strategy("", "services").initialStatus(for: sent) == ["loadBalancer": [:]])
        // A node agent registers with its status.
        #expect(try strategy("", "nodes").initialStatus(for: sent) == ["phase": "Bogus"])
        // Kinds with a status subresource start with upstream's empty status (its non-omitempty zeros).
        #expect(try strategy("apps", "deployments").initialStatus(for: sent) == [:])
        #expect(try strategy("apps", "replicasets").initialStatus(for: sent) == ["replicas": 0])
        #expect(try strategy("policy", "poddisruptionbudgets").initialStatus(for: sent) == [
            "disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0])
        // Kinds without a status subresource keep what they were sent.
        #expect(try strategy("", "configmaps").initialStatus(for: sent) == ["phase": "Bogus"])
    }

    // MARK: QoS classes

    @Test("no requests or limits anywhere: BestEffort")
    func bestEffort() {
        #expect(PodQOS.classify(Self.pod([Self.container(), Self.container()])) == "BestEffort")
        #expect(PodQOS.classify(["spec": [:]]) == "BestEffort")
    }

    @Test("equal cpu and memory requests and limits in every container: Guaranteed")
    func guaranteed() {
        let both: JSONValue = ["cpu": "500m", "memory": "128Mi"]
        #expect(PodQOS.classify(Self.pod([Self.container(requests: both, limits: both),
                                          Self.container(requests: both, limits: both)])) == "Guaranteed")
    }

    @Test("limits alone (requests default to them): Guaranteed")
    func limitsOnly() {
        #expect(PodQOS.classify(Self.pod([Self.container(limits: ["cpu": "1", "memory": "1Gi"])])) == "Guaranteed")
    }

    @Test("Burstable cases", arguments: [
        // requests below limits
        [KindStrategyTests.container(requests: ["cpu": "100m", "memory": "64Mi"], limits: ["cpu": "200m", "memory": "64Mi"])],
        // requests only
        [KindStrategyTests.container(requests: ["cpu": "100m"])],
        // limits for cpu only
        [KindStrategyTests.container(limits: ["cpu": "1"])],
        // one guaranteed container and one best-effort container
        [KindStrategyTests.container(requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "1", "memory": "1Gi"]),
         KindStrategyTests.container()],
    ])
    func burstable(_ containers: [JSONValue]) {
        #expect(PodQOS.classify(Self.pod(containers)) == "Burstable")
    }

    @Test("init containers count")
    func initContainers() {
        let both: JSONValue = ["cpu": "1", "memory": "1Gi"]
        #expect(PodQOS.classify(Self.pod([Self.container()], initContainers: [Self.container(requests: ["cpu": "1"])]))
            == "Burstable")
        #expect(PodQOS.classify(Self.pod([Self.container(requests: both, limits: both)],
                                         initContainers: [Self.container(requests: both, limits: both)])) == "Guaranteed")
    }

    @Test("upstream: equal quantities in different spellings are Guaranteed")
    func quantitiesCompareByValue() {
        // GetPodQOS compares with resource.Quantity.Cmp: "1" and "1000m" CPU, "1Gi" and "1024Mi" are equal.
        let pod = Self.pod([Self.container(requests: ["cpu": "1", "memory": "1Gi"], limits: ["cpu": "1000m", "memory": "1024Mi"])])
        #expect(PodQOS.classify(pod) == "Guaranteed")
    }

    @Test("upstream: only cpu and memory, and only non-zero quantities, decide the class")
    func onlySupportedResources() {
        // GetPodQOS skips resources other than cpu and memory and quantities that are zero.
        let storageOnly = Self.pod([Self.container(requests: ["ephemeral-storage": "1Gi"], limits: ["ephemeral-storage": "2Gi"])])
        let zero = Self.pod([Self.container(requests: ["cpu": "0", "memory": "0"])])
        #expect(PodQOS.classify(storageOnly) == "BestEffort")
        #expect(PodQOS.classify(zero) == "BestEffort")
    }

    // MARK: prepareForCreate

    @Test("namespace create: name label and the kubernetes finalizer")
    func namespacePrepare() throws {
        var ns: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team-a", "labels": ["x": "y"]]]
        try strategy("", "namespaces").prepareForCreate(&ns)
        #expect(ns[path: ["metadata", "labels"]] == ["x": "y", "kubernetes.io/metadata.name": "team-a"])
        #expect(ns[path: ["spec", "finalizers"]] == ["kubernetes"])
    }

    @Test("namespace create: a forged name label is overwritten")
    func namespaceForgedLabel() throws {
        var ns: JSONValue = ["metadata": ["name": "real", "labels": ["kubernetes.io/metadata.name": "fake"]]]
        try strategy("", "namespaces").prepareForCreate(&ns)
        #expect(ns.labels["kubernetes.io/metadata.name"] == "real")
    }

    @Test("upstream: the kubernetes finalizer is added to other finalizers")
    func namespaceFinalizerAppended() throws {
        // pkg/registry/core/namespace/strategy.go PrepareForCreate appends "kubernetes" whenever it is absent.
        var ns: JSONValue = ["metadata": ["name": "a"], "spec": ["finalizers": ["example.com/cleanup"]]]
        try strategy("", "namespaces").prepareForCreate(&ns)
        #expect(ns[path: ["spec", "finalizers"]] == ["example.com/cleanup", "kubernetes"])
    }

    @Test("prepareForCreate leaves other kinds alone")
    func otherPrepare() throws {
        let original: JSONValue = ["metadata": ["name": "c", "namespace": "n"], "data": ["k": "v"]]
        var cm = original
        try strategy("", "configmaps").prepareForCreate(&cm)
        #expect(cm == original)
    }
}
