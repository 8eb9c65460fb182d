import KyvernAPI
@testable import KyvernAPIServer
import Testing

private let validationSchemas = Result { try SchemaSet.bundled() }

@Suite("ObjectValidation")
struct ObjectValidationTests {
    func causes(_ object: JSONValue, old: JSONValue? = nil, _ group: String, _ resource: String) throws -> [APIError.Cause] {
        let info = try #require(ResourceCatalog.all.first { $0.group == group && $0.resource == resource })
        return ObjectValidation.validate(object, old: old, info: info, schemas: try validationSchemas.get())
    }

    func fieldErrors(_ object: JSONValue, old: JSONValue? = nil, _ group: String, _ resource: String) throws -> [String] {
        try causes(object, old: old, group, resource).map(\.fieldError)
    }

    static func pod(_ spec: JSONValue) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "ns"], "spec": spec]
    }

    static func deployment(selector: JSONValue?, labels: JSONValue, spec: JSONValue = ["containers": [["name": "c", "image": "i"]]]) -> JSONValue {
        var d: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "d", "namespace": "ns"],
                            "spec": ["template": ["metadata": ["labels": labels], "spec": spec]]]
        if let selector { d[path: ["spec", "selector"]] = selector }
        return d
    }

    // MARK: pods

    @Test("a valid pod, with or without defaults applied, has no causes")
    func validPod() throws {
        #expect(try causes(Self.pod(["containers": [["name": "c", "image": "nginx"]]]), "", "pods").isEmpty)
        let defaulted = Self.pod(["containers": [["name": "c", "image": "nginx", "imagePullPolicy": "Always",
                                                  "ports": [["containerPort": 80, "protocol": "TCP"]],
                                                  "resources": ["requests": ["cpu": "500m"], "limits": ["cpu": "500m"]]]],
                                  "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"])
        #expect(try causes(defaulted, "", "pods").isEmpty)
    }

    @Test("upstream: a pod needs a container, and each container a name and an image")
    func containersRequired() throws {
        #expect(try fieldErrors(Self.pod(["containers": []]), "", "pods") == ["spec.containers: Required value"])
        #expect(try fieldErrors(Self.pod([:]), "", "pods") == ["spec.containers: Required value"])
        #expect(try fieldErrors(Self.pod(["containers": [["name": "c"]]]), "", "pods") == ["spec.containers[0].image: Required value"])
        #expect(try fieldErrors(Self.pod(["containers": [["image": "i"]]]), "", "pods") == ["spec.containers[0].name: Required value"])
    }

    @Test("upstream: container names are unique DNS labels across init and app containers")
    func containerNames() throws {
        let pod = Self.pod(["containers": [["name": "c", "image": "i"], ["name": "c", "image": "i"], ["name": "Bad_Name", "image": "i"]],
                            "initContainers": [["name": "c", "image": "i"]]])
        let errors = try fieldErrors(pod, "", "pods")
        #expect(errors == [
            #"spec.containers[1].name: Duplicate value: "c""#,
            #"spec.containers[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"#,
            #"spec.initContainers[0].name: Duplicate value: "c""#,
        ])
    }

    @Test("upstream: container ports are 1-65535 with a supported protocol and unique names")
    func containerPorts() throws {
        let pod = Self.pod(["containers": [
            ["name": "a", "image": "i", "ports": [["containerPort": 80]]],
            ["name": "b", "image": "i", "ports": [["containerPort": 70000, "protocol": "HTTP", "name": "web"],
                                                 ["containerPort": 81, "name": "web", "hostPort": -1]]],
        ]])
        #expect(try fieldErrors(pod, "", "pods") == [
            "spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            #"spec.containers[1].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
            #"spec.containers[1].ports[1].name: Duplicate value: "web""#,
            "spec.containers[1].ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive",
        ])
        let missing = Self.pod(["containers": [["name": "a", "image": "i", "ports": [["name": "x"]]]]])
        #expect(try fieldErrors(missing, "", "pods") == ["spec.containers[0].ports[0].containerPort: Required value"])
    }

    @Test("upstream: requests may not exceed limits, compared as quantities")
    func requestsWithinLimits() throws {
        let over = Self.pod(["containers": [["name": "c", "image": "i",
                                             "resources": ["requests": ["cpu": "1", "memory": "1Gi"], "limits": ["cpu": "500m", "memory": "1024Mi"]]]]])
        #expect(try fieldErrors(over, "", "pods") == [
            #"spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m"#,
        ])
        let negative = Self.pod(["containers": [["name": "c", "image": "i", "resources": ["requests": ["cpu": "-1", "gpu": "1"]]]]])
        #expect(try fieldErrors(negative, "", "pods") == [
            #"spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0"#,
            #"spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers"#,
        ])
    }

    @Test("upstream: restartPolicy and dnsPolicy take their enumerated values")
    func podPolicies() throws {
        let pod = Self.pod(["containers": [["name": "c", "image": "i"]], "restartPolicy": "Sometimes", "dnsPolicy": "Google"])
        #expect(try fieldErrors(pod, "", "pods") == [
            #"spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never""#,
            #"spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None""#,
        ])
    }

    @Test("upstream: volume names are unique and mounts name existing volumes")
    func volumes() throws {
        let pod = Self.pod(["volumes": [["name": "v", "emptyDir": [:]], ["name": "v", "emptyDir": [:]]],
                            "containers": [["name": "c", "image": "i",
                                            "volumeMounts": [["name": "v", "mountPath": "/a"], ["name": "data", "mountPath": "/a"]]]]])
        #expect(try fieldErrors(pod, "", "pods") == [
            #"spec.volumes[1].name: Duplicate value: "v""#,
            #"spec.containers[0].volumeMounts[1].name: Not found: "data""#,
            #"spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique"#,
        ])
    }

    @Test("schema: required fields the per-kind rules do not cover are Required values")
    func schemaRequired() throws {
        let pod = Self.pod(["containers": [["name": "c", "image": "i", "env": [["value": "x"]]]]])
        #expect(try fieldErrors(pod, "", "pods") == ["spec.containers[0].env[0].name: Required value"])
    }

    @Test("schema: values of a field with an enum must be among its values")
    func schemaEnum() {
        let schemas = SchemaSet(definitions: [
            "T": ["type": "object", "properties": ["spec": ["ref": "S"]]],
            "S": ["type": "object", "required": ["mode"],
                  "properties": ["mode": ["type": "string", "enum": ["Fast", "Slow"]], "count": ["type": "integer"]]],
        ])
        let bad: JSONValue = ["spec": ["mode": "Medium"]]
        #expect(SchemaValidation.validate(bad, definition: "T", schemas: schemas).map(\.fieldError)
            == [#"spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow""#])
        let missing: JSONValue = ["spec": ["count": 1]]
        #expect(SchemaValidation.validate(missing, definition: "T", schemas: schemas).map(\.fieldError) == ["spec.mode: Required value"])
        #expect(SchemaValidation.validate(["spec": ["mode": "Fast"]], definition: "T", schemas: schemas).isEmpty)
    }

    // MARK: workloads

    @Test("upstream: a deployment's selector is required, non-empty and matches the template")
    func deploymentSelector() throws {
        #expect(try causes(Self.deployment(selector: ["matchLabels": ["app": "x"]], labels: ["app": "x"]), "apps", "deployments").isEmpty)
        #expect(try fieldErrors(Self.deployment(selector: nil, labels: ["app": "x"]), "apps", "deployments") == ["spec.selector: Required value"])
        #expect(try fieldErrors(Self.deployment(selector: ["matchLabels": ["app": "x"]], labels: ["app": "other"]), "apps", "deployments") == [
            #"spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`"#,
        ])
        #expect(try fieldErrors(Self.deployment(selector: [:], labels: ["app": "x"]), "apps", "deployments") == [
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
        ])
    }

    @Test("upstream: replicas are non-negative and the template validates at its own path")
    func deploymentTemplate() throws {
        var d = Self.deployment(selector: ["matchLabels": ["app": "x"]], labels: ["app": "x"],
                                spec: ["containers": [["name": "c"]], "restartPolicy": "Never"])
        d[path: ["spec", "replicas"]] = -1
        #expect(try fieldErrors(d, "apps", "deployments") == [
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.template.spec.containers[0].image: Required value",
            #"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
        ])
    }

    @Test("upstream: rolling update surge and unavailability are counts or percentages, not both zero")
    func deploymentStrategy() throws {
        var d = Self.deployment(selector: ["matchLabels": ["app": "x"]], labels: ["app": "x"])
        d[path: ["spec", "strategy"]] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "5x", "maxUnavailable": "120%"]]
        #expect(try fieldErrors(d, "apps", "deployments") == [
            #"spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"5x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"#,
            #"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%"#,
        ])
        d[path: ["spec", "strategy", "rollingUpdate"]] = ["maxSurge": 0, "maxUnavailable": "0%"]
        #expect(try fieldErrors(d, "apps", "deployments") == [
            #"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0"#,
        ])
        d[path: ["spec", "strategy", "rollingUpdate"]] = ["maxSurge": "25%", "maxUnavailable": "25%"]
        d[path: ["spec", "progressDeadlineSeconds"]] = 10
        d[path: ["spec", "minReadySeconds"]] = 10
        #expect(try fieldErrors(d, "apps", "deployments") == ["spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"])
    }

    @Test("upstream: a template's labels are named without metadata in causes")
    func templateLabels() throws {
        let d = Self.deployment(selector: ["matchExpressions": [["key": "app", "operator": "Exists"]]], labels: ["app": "-bad-"])
        #expect(try fieldErrors(d, "apps", "deployments") == [
            #"spec.template.labels: Invalid value: "-bad-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"#,
        ])
    }

    @Test("upstream: a job's template restarts OnFailure or Never; absent defaults to Always")
    func jobRestartPolicy() throws {
        let job: JSONValue = ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j", "namespace": "ns"],
                              "spec": ["template": ["spec": ["containers": [["name": "c", "image": "i"]]]]]]
        #expect(try fieldErrors(job, "batch", "jobs") == [
            #"spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#,
        ])
        var ok = job
        ok[path: ["spec", "template", "spec", "restartPolicy"]] = "Never"
        #expect(try causes(ok, "batch", "jobs").isEmpty)
        let cron: JSONValue = ["apiVersion": "batch/v1", "kind": "CronJob", "metadata": ["name": "c", "namespace": "ns"],
                               "spec": ["schedule": "*/1 * * * *", "jobTemplate": ["spec": job["spec"]!]]]
        #expect(try fieldErrors(cron, "batch", "cronjobs") == [
            #"spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#,
        ])
    }

    // MARK: services

    @Test("upstream: service ports, names, node ports, type and cluster IP")
    func services() throws {
        let svc: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "s", "namespace": "ns"],
                              "spec": ["type": "NodePort", "clusterIP": "10.0.0.300",
                                       "ports": [["port": 70000, "nodePort": 80], ["port": 80, "protocol": "HTTP"]]]]
        #expect(try fieldErrors(svc, "", "services") == [
            "spec.ports[0].name: Required value",
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
            "spec.ports[1].name: Required value",
            #"spec.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#,
            #"spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#,
        ])
        let badType: JSONValue = ["metadata": ["name": "s"], "spec": ["type": "Magic", "ports": [["port": 80]]]]
        #expect(try fieldErrors(badType, "", "services") == [
            #"spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort""#,
        ])
        let targets: JSONValue = ["metadata": ["name": "s"], "spec": ["ports": [["port": 80, "targetPort": "8080"], ["name": "b", "port": 81, "targetPort": 0]]]]
        #expect(try fieldErrors(targets, "", "services") == [
            "spec.ports[0].name: Required value",
            #"spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)"#,
        ])
        let headless: JSONValue = ["metadata": ["name": "s"], "spec": ["clusterIP": "None"]]
        #expect(try causes(headless, "", "services").isEmpty)
    }

    @Test("upstream: autoscaler replica bounds and disruption budget percentages")
    func scaling() throws {
        let hpa: JSONValue = ["metadata": ["name": "h"], "spec": ["scaleTargetRef": ["kind": "Deployment", "name": ""],
                                                                 "minReplicas": 0, "maxReplicas": 0]]
        #expect(try fieldErrors(hpa, "autoscaling", "horizontalpodautoscalers") == [
            "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
            "spec.maxReplicas: Invalid value: 0: must be greater than 0",
            "spec.scaleTargetRef.name: Required value",
        ])
        let pdb: JSONValue = ["metadata": ["name": "p"], "spec": ["maxUnavailable": -1]]
        #expect(try fieldErrors(pdb, "policy", "poddisruptionbudgets") == ["spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"])
    }

    // MARK: config data

    @Test("upstream: config keys are validated and data is at most 1 MiB")
    func configData() throws {
        let cm: JSONValue = ["metadata": ["name": "c"], "data": ["a b": "1", "..x": "2"]]
        #expect(try fieldErrors(cm, "", "configmaps") == [
            #"data[..x]: Invalid value: "..x": must not start with '..'"#,
            #"data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#,
        ])
        let big: JSONValue = ["metadata": ["name": "c"], "data": ["blob": .string(String(repeating: "y", count: 1024 * 1024 + 1))]]
        #expect(try fieldErrors(big, "", "configmaps") == ["[]: Too long: must have at most 1048576 bytes"])
        let tls: JSONValue = ["metadata": ["name": "s"], "type": "kubernetes.io/tls", "data": ["tls.crt": "eA=="]]
        #expect(try fieldErrors(tls, "", "secrets") == ["data[tls.key]: Required value"])
    }

    // MARK: updates

    @Test("upstream: selectors of controllers are immutable")
    func selectorImmutable() throws {
        let old = Self.deployment(selector: ["matchLabels": ["app": "x"]], labels: ["app": "x", "y": "z"])
        let new = Self.deployment(selector: ["matchLabels": ["app": "x", "y": "z"]], labels: ["app": "x", "y": "z"])
        #expect(try fieldErrors(new, old: old, "apps", "deployments") == [
            #"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x", "y":"z"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#,
        ])
        #expect(try causes(old, old: old, "apps", "deployments").isEmpty)
    }

    @Test("upstream: a pod's spec may change only in images and the allowed fields")
    func podUpdates() throws {
        let old = Self.pod(["containers": [["name": "c", "image": "nginx:1"]]])
        let newImage = Self.pod(["containers": [["name": "c", "image": "nginx:2"]], "activeDeadlineSeconds": 30])
        #expect(try causes(newImage, old: old, "", "pods").isEmpty)
        let newPorts = Self.pod(["containers": [["name": "c", "image": "nginx:1", "ports": [["containerPort": 80]]]]])
        let errors = try causes(newPorts, old: old, "", "pods")
        #expect(errors.count == 1)
        #expect(errors.first?.field == "spec")
        #expect(errors.first?.message.hasPrefix("Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n") == true)
    }

    @Test("upstream: immutable ConfigMaps and Secrets stay frozen; a Secret's type is fixed")
    func frozenData() throws {
        let old: JSONValue = ["metadata": ["name": "c"], "immutable": true, "data": ["k": "v"]]
        let changed: JSONValue = ["metadata": ["name": "c"], "immutable": false, "data": ["k": "w"]]
        #expect(try fieldErrors(changed, old: old, "", "configmaps") == [
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set",
        ])
        let secret: JSONValue = ["metadata": ["name": "s"], "type": "Opaque"]
        let retyped: JSONValue = ["metadata": ["name": "s"], "type": "example.com/x"]
        #expect(try fieldErrors(retyped, old: secret, "", "secrets") == [#"type: Invalid value: "example.com/x": field is immutable"#])
    }

    @Test("upstream: a bound claim's storage may grow, and shrink no lower than its capacity")
    func claimUpdates() throws {
        let old: JSONValue = ["metadata": ["name": "c"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "2Gi"]]],
                              "status": ["phase": "Bound", "capacity": ["storage": "2Gi"]]]
        var grown = old
        grown[path: ["spec", "resources", "requests", "storage"]] = "3Gi"
        #expect(try causes(grown, old: old, "", "persistentvolumeclaims").isEmpty)
        var shrunk = old
        shrunk[path: ["spec", "resources", "requests", "storage"]] = "1Gi"
        #expect(try fieldErrors(shrunk, old: old, "", "persistentvolumeclaims")
            == ["spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"])
        var bound = old
        bound[path: ["spec", "volumeName"]] = "pv-1"
        #expect(try causes(bound, old: old, "", "persistentvolumeclaims").isEmpty)
        var unbound = old
        unbound[path: ["status", "phase"]] = "Pending"
        unbound[path: ["spec", "resources", "requests", "storage"]] = "3Gi"
        #expect(try causes(unbound, old: old, "", "persistentvolumeclaims").map(\.field) == ["spec"])
    }

    @Test("upstream: a service's cluster IP may not change once set")
    func clusterIPImmutable() throws {
        let old: JSONValue = ["metadata": ["name": "s"], "spec": ["clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "ports": [["port": 80]]]]
        let moved: JSONValue = ["metadata": ["name": "s"], "spec": ["clusterIP": "10.96.0.11", "ports": [["port": 80]]]]
        #expect(try fieldErrors(moved, old: old, "", "services") == [
            #"spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set"#,
        ])
        let cleared: JSONValue = ["metadata": ["name": "s"], "spec": ["ports": [["port": 80]]]]
        #expect(try causes(cleared, old: old, "", "services").isEmpty)
    }
}
