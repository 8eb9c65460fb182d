import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("ObjectDefaults")
struct ObjectDefaultsTests {
    static func info(_ group: String, _ resource: String) throws -> ResourceInfo {
        try #require(ResourceCatalog.all.first { $0.group == group && $0.resource == resource })
    }

    /// Defaults the object, checks a second pass changes nothing, and returns the result.
    static func defaulted(_ group: String, _ resource: String, _ object: JSONValue) throws -> JSONValue {
        let info = try info(group, resource)
        var once = object
        ObjectDefaults.apply(to: &once, info: info)
        var twice = once
        ObjectDefaults.apply(to: &twice, info: info)
        #expect(twice == once, "defaulting \(resource) twice changed it")
        return once
    }

    static let container: JSONValue = ["name": "app", "image": "nginx:1.27"]

    /// The container as upstream stores it.
    static let defaultedContainer: JSONValue = [
        "name": "app", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent", "resources": [:],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
    ]

    /// The pod spec every template gets.
    static let defaultedTemplateSpec: JSONValue = [
        "containers": [defaultedContainer], "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler", "securityContext": [:],
    ]

    static let template: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [container]]]
    static let defaultedTemplate: JSONValue = ["metadata": ["labels": ["app": "web"]], "spec": defaultedTemplateSpec]

    // MARK: pods

    @Test("a pod gets the pod spec, container and pod-only defaults")
    func pod() throws {
        let pod = try Self.defaulted("", "pods", ["metadata": ["name": "p"], "spec": ["containers": [Self.container]]])
        var spec = Self.defaultedTemplateSpec
        spec["enableServiceLinks"] = true
        #expect(pod == ["metadata": ["name": "p"], "spec": spec])
    }

    @Test("pull policy follows the tag", arguments: [
        ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
        ("registry.local:5000/team/app", "Always"), ("registry.local:5000/team/app:v2", "IfNotPresent"),
        ("nginx@sha256:" + String(repeating: "a", count: 64), "IfNotPresent"),
        ("nginx:latest@sha256:" + String(repeating: "b", count: 64), "Always"),
        ("Nginx", "IfNotPresent"), ("", "IfNotPresent"), ("localhost/app", "Always"),
    ])
    func pullPolicy(image: String, policy: String) {
        #expect(ImageReference.defaultPullPolicy(for: image) == policy)
    }

    @Test("a set pull policy, grace period and restart policy are kept")
    func userValuesKept() throws {
        var container = Self.container
        container["imagePullPolicy"] = "Never"
        let pod = try Self.defaulted("", "pods", ["spec": [
            "containers": [container], "restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
            "dnsPolicy": "Default", "enableServiceLinks": false, "securityContext": ["runAsUser": 1000],
        ]])
        #expect(pod[path: ["spec", "containers"]]?.arrayValue?.first?["imagePullPolicy"] == "Never")
        #expect(pod[path: ["spec", "restartPolicy"]] == "Never")
        #expect(pod[path: ["spec", "terminationGracePeriodSeconds"]] == 0)
        #expect(pod[path: ["spec", "dnsPolicy"]] == "Default")
        #expect(pod[path: ["spec", "enableServiceLinks"]] == false)
        #expect(pod[path: ["spec", "securityContext"]] == ["runAsUser": 1000])
    }

    @Test("a pod's requests default to its limits; a template's do not")
    func requestsFromLimits() throws {
        var container = Self.container
        container["resources"] = ["limits": ["cpu": "500m", "memory": "128Mi"], "requests": ["cpu": "100m"]]
        let pod = try Self.defaulted("", "pods", ["spec": ["containers": [container], "initContainers": [container]]])
        for list in ["containers", "initContainers"] {
            #expect(pod[path: ["spec", list]]?.arrayValue?.first?["resources"] == [
                "limits": ["cpu": "500m", "memory": "128Mi"], "requests": ["cpu": "100m", "memory": "128Mi"],
            ])
        }
        let template = try Self.defaulted("", "podtemplates", ["template": ["spec": ["containers": [container]]]])
        #expect(template[path: ["template", "spec", "containers"]]?.arrayValue?.first?["resources"] == [
            "limits": ["cpu": "500m", "memory": "128Mi"], "requests": ["cpu": "100m"],
        ])
    }

    @Test("ports, env, probes and lifecycle handlers")
    func containerParts() throws {
        let container: JSONValue = [
            "name": "app", "image": "app:v1",
            "ports": [["containerPort": 80], ["containerPort": 53, "protocol": "UDP"]],
            "env": [["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
                    ["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory"]]]],
            "livenessProbe": ["httpGet": ["port": 80]],
            "readinessProbe": ["grpc": ["port": 9000], "periodSeconds": 5],
            "startupProbe": ["tcpSocket": ["port": 80], "failureThreshold": 30],
            "lifecycle": ["preStop": ["httpGet": ["port": 80, "path": "/quit"]]],
        ]
        let pod = try Self.defaulted("", "pods", ["spec": ["containers": [container], "hostNetwork": true]])
        let c = try #require(pod[path: ["spec", "containers"]]?.arrayValue?.first)
        #expect(c["ports"] == [["containerPort": 80, "hostPort": 80, "protocol": "TCP"],
                               ["containerPort": 53, "hostPort": 53, "protocol": "UDP"]])
        #expect(c["env"] == [
            ["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName", "apiVersion": "v1"]]],
            ["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "0"]]],
        ])
        #expect(c["livenessProbe"] == ["httpGet": ["port": 80, "path": "/", "scheme": "HTTP"], "timeoutSeconds": 1,
                                       "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3])
        #expect(c["readinessProbe"] == ["grpc": ["port": 9000, "service": ""], "timeoutSeconds": 1,
                                        "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3])
        #expect(c["startupProbe"] == ["tcpSocket": ["port": 80], "timeoutSeconds": 1,
                                      "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 30])
        #expect(c["lifecycle"] == ["preStop": ["httpGet": ["port": 80, "path": "/quit", "scheme": "HTTP"]]])
    }

    @Test("volumes")
    func volumes() throws {
        let volumes: JSONValue = [
            ["name": "scratch"],
            ["name": "s", "secret": ["secretName": "s"]],
            ["name": "c", "configMap": ["name": "c", "defaultMode": 256]],
            ["name": "h", "hostPath": ["path": "/var/log"]],
            ["name": "d", "downwardAPI": ["items": [["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]]]]],
            ["name": "p", "projected": ["sources": [["serviceAccountToken": ["path": "token"]]]]],
            ["name": "e", "ephemeral": ["volumeClaimTemplate": ["spec": ["accessModes": ["ReadWriteOnce"]]]]],
        ]
        let pod = try Self.defaulted("", "pods", ["spec": ["containers": [Self.container], "volumes": volumes]])
        #expect(pod[path: ["spec", "volumes"]] == [
            ["name": "scratch", "emptyDir": [:]],
            ["name": "s", "secret": ["secretName": "s", "defaultMode": 420]],
            ["name": "c", "configMap": ["name": "c", "defaultMode": 256]],
            ["name": "h", "hostPath": ["path": "/var/log", "type": ""]],
            ["name": "d", "downwardAPI": ["defaultMode": 420, "items": [
                ["path": "labels", "fieldRef": ["fieldPath": "metadata.labels", "apiVersion": "v1"]]]]],
            ["name": "p", "projected": ["defaultMode": 420, "sources": [
                ["serviceAccountToken": ["path": "token", "expirationSeconds": 3600]]]]],
            ["name": "e", "ephemeral": ["volumeClaimTemplate": ["spec": [
                "accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem", "resources": [:]]]]],
        ])
    }

    @Test("a new pod gets its service account, priority and default tolerations")
    func podAdmission() throws {
        let info = try Self.info("", "pods")
        var pod: JSONValue = ["spec": ["containers": [Self.container]]]
        ObjectDefaults.prepareForCreate(&pod, info: info)
        #expect(pod[path: ["spec", "serviceAccountName"]] == "default")
        #expect(pod[path: ["spec", "serviceAccount"]] == "default")
        #expect(pod[path: ["spec", "priority"]] == 0)
        #expect(pod[path: ["spec", "preemptionPolicy"]] == "PreemptLowerPriority")
        #expect(pod[path: ["spec", "tolerations"]] == [
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
        ])
        var again = pod
        ObjectDefaults.prepareForCreate(&again, info: info)
        #expect(again == pod)

        var tolerant: JSONValue = ["spec": [
            "containers": [Self.container], "serviceAccount": "builder", "priorityClassName": "system-node-critical",
            "tolerations": [["key": "node.kubernetes.io/unreachable", "operator": "Exists"]],
        ]]
        ObjectDefaults.prepareForCreate(&tolerant, info: info)
        #expect(tolerant[path: ["spec", "serviceAccountName"]] == "builder")
        #expect(tolerant[path: ["spec", "priority"]] == 2_000_001_000)
        #expect(tolerant[path: ["spec", "tolerations"]] == [
            ["key": "node.kubernetes.io/unreachable", "operator": "Exists"],
            ["key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300],
        ])
    }

    // MARK: workloads

    @Test("deployment")
    func deployment() throws {
        let d = try Self.defaulted("apps", "deployments", ["spec": ["selector": ["matchLabels": ["app": "web"]], "template": Self.template]])
        #expect(d == ["spec": [
            "selector": ["matchLabels": ["app": "web"]], "template": Self.defaultedTemplate, "replicas": 1,
            "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": "25%", "maxSurge": "25%"]],
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
        ]])
        let recreate = try Self.defaulted("apps", "deployments", ["spec": ["strategy": ["type": "Recreate"], "replicas": 0]])
        #expect(recreate[path: ["spec", "strategy"]] == ["type": "Recreate"])
        #expect(recreate[path: ["spec", "replicas"]] == 0)
    }

    @Test("replicaset, statefulset, daemonset")
    func otherWorkloads() throws {
        let rs = try Self.defaulted("apps", "replicasets", ["spec": ["template": Self.template]])
        #expect(rs == ["spec": ["template": Self.defaultedTemplate, "replicas": 1]])

        let claim: JSONValue = ["metadata": ["name": "data"], "spec": ["accessModes": ["ReadWriteOnce"],
                                                                      "resources": ["requests": ["storage": "1Gi"]]]]
        let sts = try Self.defaulted("apps", "statefulsets", ["spec": [
            "serviceName": "db", "template": Self.template, "volumeClaimTemplates": [claim]]])
        #expect(sts == ["spec": [
            "serviceName": "db", "template": Self.defaultedTemplate, "replicas": 1, "revisionHistoryLimit": 10,
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": 0, "maxUnavailable": 1]],
            "persistentVolumeClaimRetentionPolicy": ["whenDeleted": "Retain", "whenScaled": "Retain"],
            "volumeClaimTemplates": [[
                "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data"],
                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]], "volumeMode": "Filesystem"],
                "status": ["phase": "Pending"],
            ]],
        ]])
        let onDelete = try Self.defaulted("apps", "statefulsets", ["spec": ["updateStrategy": ["type": "RollingUpdate"]]])
        #expect(onDelete[path: ["spec", "updateStrategy"]] == ["type": "RollingUpdate"])

        let ds = try Self.defaulted("apps", "daemonsets", ["spec": ["template": Self.template]])
        #expect(ds == ["spec": [
            "template": Self.defaultedTemplate, "revisionHistoryLimit": 10,
            "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]],
        ]])
    }

    @Test("replication controller takes selector and labels from its template")
    func replicationController() throws {
        let rc = try Self.defaulted("", "replicationcontrollers", ["metadata": ["name": "rc"], "spec": ["template": Self.template]])
        #expect(rc == ["metadata": ["name": "rc", "labels": ["app": "web"]],
                       "spec": ["template": Self.defaultedTemplate, "replicas": 1, "selector": ["app": "web"]]])
    }

    // MARK: batch

    @Test("a new job gets its defaults, generated selector and labels")
    func job() throws {
        let info = try Self.info("batch", "jobs")
        var template = Self.template
        template[path: ["spec", "restartPolicy"]] = "Never"
        var job = try Self.defaulted("batch", "jobs", ["metadata": ["name": "pi"], "spec": ["template": template]])
        job[path: ["metadata", "uid"]] = "u-1"
        ObjectDefaults.prepareForCreate(&job, info: info)
        var templateSpec = Self.defaultedTemplateSpec
        templateSpec["restartPolicy"] = "Never"
        let labels: JSONValue = ["app": "web", "job-name": "pi", "batch.kubernetes.io/job-name": "pi",
                                 "controller-uid": "u-1", "batch.kubernetes.io/controller-uid": "u-1"]
        #expect(job == [
            "metadata": ["name": "pi", "uid": "u-1", "labels": labels],
            "spec": [
                "template": ["metadata": ["labels": labels], "spec": templateSpec],
                "selector": ["matchLabels": ["batch.kubernetes.io/controller-uid": "u-1"]],
                "completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed",
                "suspend": false, "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": false,
            ],
        ])
        var again = job
        ObjectDefaults.apply(to: &again, info: info)
        #expect(again == job)
    }

    @Test("job parallelism alone, per-index backoff, failure policy, manual selector")
    func jobVariants() throws {
        let info = try Self.info("batch", "jobs")
        let parallel = try Self.defaulted("batch", "jobs", ["spec": ["parallelism": 3]])
        #expect(parallel[path: ["spec", "completions"]] == nil)
        let indexed = try Self.defaulted("batch", "jobs", ["spec": ["backoffLimitPerIndex": 1, "completionMode": "Indexed",
                                                                   "completions": 4, "podFailurePolicy": ["rules": [
                                                                       ["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget"]]]]]]])
        #expect(indexed[path: ["spec", "backoffLimit"]] == 2_147_483_647)
        #expect(indexed[path: ["spec", "podReplacementPolicy"]] == "Failed")
        #expect(indexed[path: ["spec", "podFailurePolicy", "rules"]] == [
            ["action": "Ignore", "onPodConditions": [["type": "DisruptionTarget", "status": "True"]]]])
        var manual = try Self.defaulted("batch", "jobs", ["metadata": ["name": "m", "labels": ["own": "x"]], "spec": [
            "manualSelector": true, "selector": ["matchLabels": ["app": "web"]], "template": Self.template]])
        manual[path: ["metadata", "uid"]] = "u-2"
        let before = manual
        ObjectDefaults.prepareForCreate(&manual, info: info)
        #expect(manual == before)
    }

    @Test("cronjob defaults its own fields and its pod template, not its job spec")
    func cronJob() throws {
        var template = Self.template
        template[path: ["spec", "restartPolicy"]] = "OnFailure"
        let cj = try Self.defaulted("batch", "cronjobs", ["spec": ["schedule": "* * * * *", "jobTemplate": ["spec": ["template": template]]]])
        var templateSpec = Self.defaultedTemplateSpec
        templateSpec["restartPolicy"] = "OnFailure"
        #expect(cj == ["spec": [
            "schedule": "* * * * *", "concurrencyPolicy": "Allow", "suspend": false,
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
            "jobTemplate": ["metadata": [:], "spec": ["template": ["metadata": ["labels": ["app": "web"]], "spec": templateSpec]]],
        ]])
    }

    // MARK: services and endpoints

    @Test("service types")
    func service() throws {
        let clusterIP = try Self.defaulted("", "services", ["spec": ["ports": [["port": 80], ["port": 53, "protocol": "UDP", "targetPort": "dns"]]]])
        #expect(clusterIP == ["spec": [
            "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
            "ports": [["port": 80, "protocol": "TCP", "targetPort": 80], ["port": 53, "protocol": "UDP", "targetPort": "dns"]],
        ]])
        let lb = try Self.defaulted("", "services", ["spec": ["type": "LoadBalancer", "sessionAffinity": "ClientIP",
                                                              "ports": [["port": 443, "targetPort": 0]]]])
        #expect(lb == ["spec": [
            "type": "LoadBalancer", "sessionAffinity": "ClientIP",
            "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 10800]],
            "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "allocateLoadBalancerNodePorts": true,
            "ports": [["port": 443, "protocol": "TCP", "targetPort": 443]],
        ]])
        let external = try Self.defaulted("", "services", ["spec": ["type": "ExternalName", "externalName": "example.com"]])
        #expect(external == ["spec": ["type": "ExternalName", "externalName": "example.com", "sessionAffinity": "None"]])
    }

    @Test("endpoints and endpoint slices")
    func endpoints() throws {
        let ep = try Self.defaulted("", "endpoints", ["subsets": [["ports": [["port": 80]]]]])
        #expect(ep == ["subsets": [["ports": [["port": 80, "protocol": "TCP"]]]]])
        let slice = try Self.defaulted("discovery.k8s.io", "endpointslices", ["ports": [["port": 80]]])
        #expect(slice == ["ports": [["port": 80, "name": "", "protocol": "TCP"]]])
    }

    // MARK: config and storage

    @Test("secret stringData folds into base64 data and wins")
    func secret() throws {
        let secret = try Self.defaulted("", "secrets", ["data": ["a": "b2xk", "keep": "eA=="],
                                                        "stringData": ["a": "new", "b": "héllo"]])
        #expect(secret == ["type": "Opaque", "data": ["a": "bmV3", "keep": "eA==", "b": "aMOpbGxv"]])
        let typed = try Self.defaulted("", "secrets", ["type": "kubernetes.io/tls"])
        #expect(typed == ["type": "kubernetes.io/tls"])
    }

    @Test("volumes, claims, storage classes and CSI drivers")
    func storage() throws {
        let pv = try Self.defaulted("", "persistentvolumes", ["spec": ["hostPath": ["path": "/data"], "capacity": ["storage": "1Gi"]]])
        #expect(pv == ["spec": ["hostPath": ["path": "/data", "type": ""], "capacity": ["storage": "1Gi"],
                                "persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"],
                       "status": ["phase": "Pending"]])
        let pvc = try Self.defaulted("", "persistentvolumeclaims", ["spec": ["accessModes": ["ReadWriteOnce"]]])
        #expect(pvc == ["spec": ["accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem", "resources": [:]],
                        "status": ["phase": "Pending"]])
        let sc = try Self.defaulted("storage.k8s.io", "storageclasses", ["provisioner": "x"])
        #expect(sc == ["provisioner": "x", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"])
        let csi = try Self.defaulted("storage.k8s.io", "csidrivers", ["spec": [:]])
        #expect(csi == ["spec": ["attachRequired": true, "podInfoOnMount": false, "storageCapacity": false,
                                 "fsGroupPolicy": "ReadWriteOnceWithFSType", "volumeLifecycleModes": ["Persistent"],
                                 "requiresRepublish": false, "seLinuxMount": false]])
    }

    @Test("plain structs upstream always writes: spec, template metadata, endpoint conditions")
    func plainStructs() throws {
        let lease = try Self.defaulted("coordination.k8s.io", "leases", ["metadata": ["name": "l"]])
        #expect(lease == ["metadata": ["name": "l"], "spec": [:]])
        let template = try Self.defaulted("", "podtemplates", ["template": ["spec": ["containers": [Self.container]]]])
        #expect(template == ["template": ["metadata": [:], "spec": Self.defaultedTemplateSpec]])
        let slice = try Self.defaulted("discovery.k8s.io", "endpointslices", ["endpoints": [["addresses": ["10.0.0.1"]]]])
        #expect(slice == ["endpoints": [["addresses": ["10.0.0.1"], "conditions": [:]]]])
    }

    // MARK: cluster kinds

    @Test("priority class, limit range, node, namespace")
    func clusterKinds() throws {
        let pc = try Self.defaulted("scheduling.k8s.io", "priorityclasses", ["value": 1000])
        #expect(pc == ["value": 1000, "preemptionPolicy": "PreemptLowerPriority"])
        let lr = try Self.defaulted("", "limitranges", ["spec": ["limits": [
            ["type": "Container", "max": ["cpu": "2"], "min": ["memory": "64Mi"], "default": ["memory": "256Mi"]],
            ["type": "Pod", "max": ["cpu": "4"]],
        ]]])
        #expect(lr == ["spec": ["limits": [
            ["type": "Container", "max": ["cpu": "2"], "min": ["memory": "64Mi"],
             "default": ["cpu": "2", "memory": "256Mi"], "defaultRequest": ["cpu": "2", "memory": "256Mi"]],
            ["type": "Pod", "max": ["cpu": "4"]],
        ]]])
        let node = try Self.defaulted("", "nodes", ["status": ["capacity": ["cpu": "4"]]])
        #expect(node == ["spec": [:], "status": ["capacity": ["cpu": "4"], "allocatable": ["cpu": "4"]]])
        let ns = try Self.defaulted("", "namespaces", ["metadata": ["name": "team", "labels": ["a": "b"]]])
        #expect(ns == ["metadata": ["name": "team", "labels": ["a": "b", "kubernetes.io/metadata.name": "team"]], "spec": [:]])
    }

    @Test("horizontal pod autoscaler")
    func hpa() throws {
        let plain = try Self.defaulted("autoscaling", "horizontalpodautoscalers", ["spec": ["maxReplicas": 5]])
        #expect(plain == ["spec": ["maxReplicas": 5, "minReplicas": 1, "metrics": [
            ["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]]]]])
        let behavior = try Self.defaulted("autoscaling", "horizontalpodautoscalers", ["spec": [
            "maxReplicas": 5, "metrics": [["type": "Pods"]], "behavior": ["scaleDown": ["stabilizationWindowSeconds": 60]]]])
        #expect(behavior[path: ["spec", "behavior"]] == [
            "scaleUp": ["stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                ["type": "Pods", "value": 4, "periodSeconds": 15], ["type": "Percent", "value": 100, "periodSeconds": 15]]],
            "scaleDown": ["stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [
                ["type": "Percent", "value": 100, "periodSeconds": 15]]],
        ])
    }
}

@Suite("Resource list rounding")
struct ResourceListRoundingTests {
    @Test("resource lists round up to thousandths, in upstream's spelling")
    func roundUp() throws {
        var list: JSONValue = ["requests": ["cpu": "100u", "memory": "1.0001", "ephemeral-storage": "2Gi"]]
        list.roundResourceList("requests")
        #expect(list["requests"] == ["cpu": "1m", "memory": "1001m", "ephemeral-storage": "2Gi"])
        var container: JSONValue = ["name": "c", "image": "x", "resources": ["limits": ["cpu": "0.5", "memory": "1024Mi"]]]
        ContainerDefaults.apply(to: &container)
        #expect(container["resources"] == ["limits": ["cpu": "500m", "memory": "1Gi"]])
    }
}
