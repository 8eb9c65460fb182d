import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("TablePrinter")
struct TablePrinterTests {
    /// 2026-11-26T12:00:00Z: every row below is printed at this instant.
    static let now = Timestamp.parseMicroseconds("2026-11-26T12:00:00Z")!
    let context = PrintContext(now: TablePrinterTests.now)

    /// The timestamp `seconds` before `now`.
    static func ago(_ seconds: Int64) -> JSONValue {
        .string(Timestamp.format(secondsSince1970: now / 1_000_000 - seconds))
    }

    static func meta(_ name: String, age: Int64 = 300, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var m: [String: JSONValue] = ["name": .string(name), "namespace": "default", "creationTimestamp": ago(age)]
        for (k, v) in extra { m[k] = v }
        return .object(m)
    }

    func cells(_ group: String, _ resource: String, _ object: JSONValue) throws -> [JSONValue] {
        let printer = try #require(TablePrinters.printer(group: group, resource: resource))
        return printer(object, context).cells
    }

    // MARK: durations

    @Test("ages and durations read as upstream's HumanDuration")
    func humanDuration() {
        let cases: [(Int64, String)] = [
            (0, "0s"), (45, "45s"), (119, "119s"), (120, "2m"), (310, "5m10s"), (300, "5m"), (599, "9m59s"),
            (600, "10m"), (179 * 60 + 59, "179m"), (3 * 3600, "3h"), (3 * 3600 + 4 * 60, "3h4m"), (8 * 3600, "8h"),
            (47 * 3600, "47h"), (48 * 3600, "2d"), (51 * 3600, "2d3h"), (7 * 86400 + 23 * 3600, "7d23h"),
            (8 * 86400, "8d"), (400 * 86400, "400d"), (730 * 86400, "2y"), ((3 * 365 + 45) * 86400, "3y45d"),
            (8 * 365 * 86400, "8y"), (20 * 365 * 86400 + 5 * 86400, "20y"),
        ]
        for (seconds, text) in cases {
            #expect(HumanDuration.format(seconds: seconds) == text, "\(seconds)s")
        }
        #expect(HumanDuration.format(microseconds: -500_000) == "0s")
        #expect(HumanDuration.format(microseconds: -1_900_000) == "0s")
        #expect(HumanDuration.format(microseconds: -2_000_000) == "<invalid>")
        #expect(context.since(nil) == "<unknown>")
    }

    // MARK: pods

    static func container(_ name: String, ready: Bool, restarts: Int64, state: JSONValue, last: JSONValue? = nil) -> JSONValue {
        var c: JSONValue = ["name": .string(name), "ready": .bool(ready), "restartCount": .int(restarts), "state": state]
        if let last { c["lastState"] = last }
        return c
    }

    @Test("a running pod with one of two containers restarting")
    func podRestarting() throws {
        let pod: JSONValue = [
            "metadata": Self.meta("web-1", age: 3 * 3600 + 240),
            "spec": ["nodeName": "node-a", "containers": [["name": "app"], ["name": "sidecar"]]],
            "status": [
                "phase": "Running", "podIPs": [["ip": "10.42.0.5"], ["ip": "fd00::5"]],
                "conditions": [["type": "Ready", "status": "False"]],
                "containerStatuses": [
                    Self.container("app", ready: true, restarts: 0, state: ["running": ["startedAt": Self.ago(3600)]]),
                    Self.container("sidecar", ready: false, restarts: 5, state: ["waiting": ["reason": "CrashLoopBackOff"]],
                                   last: ["terminated": ["exitCode": 1, "finishedAt": Self.ago(300)]]),
                ],
            ],
        ]
        #expect(try cells("", "pods", pod) == [
            "web-1", "1/2", "CrashLoopBackOff", "5 (5m ago)", "3h4m", "10.42.0.5", "node-a", "<none>", "<none>",
        ])
    }

    @Test("a deleting pod is Terminating, unless it already finished or its node is lost")
    func podTerminating() throws {
        var pod: JSONValue = [
            "metadata": Self.meta("old", age: 60, ["deletionTimestamp": Self.ago(5)]),
            "spec": ["containers": [["name": "app"]], "readinessGates": [["conditionType": "example.com/ready"],
                                                                        ["conditionType": "example.com/lb"]]],
            "status": [
                "phase": "Running", "nominatedNodeName": "node-b",
                "conditions": [["type": "example.com/ready", "status": "True"], ["type": "example.com/lb", "status": "False"]],
                "containerStatuses": [Self.container("app", ready: true, restarts: 0, state: ["running": [:]])],
            ],
        ]
        #expect(try cells("", "pods", pod) == ["old", "1/1", "Terminating", "0", "60s", "<none>", "<none>", "node-b", "1/2"])
        pod[path: ["status", "reason"]] = "NodeLost"
        #expect(try cells("", "pods", pod)[2] == "Unknown")
        pod[path: ["status", "reason"]] = nil
        pod[path: ["status", "phase"]] = "Succeeded"
        pod[path: ["status", "containerStatuses"]] = [Self.container("app", ready: false, restarts: 0,
                                                                     state: ["terminated": ["exitCode": 0, "reason": "Completed"]])]
        let printer = try #require(TablePrinters.printer(group: "", resource: "pods"))
        let row = printer(pod, context)
        #expect(row.cells[1] == "0/1" && row.cells[2] == "Completed")
        #expect(row.conditions == [["type": "Completed", "status": "True", "reason": "Succeeded",
                                    "message": "The pod has completed successfully."]])
    }

    @Test("init containers: progress, failures and waiting reasons; sidecars count as containers")
    func podInit() throws {
        func pod(_ initStatuses: [JSONValue], initialized: Bool = false) -> JSONValue {
            [
                "metadata": Self.meta("p", age: 30),
                "spec": ["initContainers": [["name": "a"], ["name": "b"], ["name": "proxy", "restartPolicy": "Always"]],
                         "containers": [["name": "app"]]],
                "status": ["phase": "Pending",
                           "conditions": [["type": "Initialized", "status": initialized ? "True" : "False"]],
                           "initContainerStatuses": .array(initStatuses),
                           "containerStatuses": [Self.container("app", ready: false, restarts: 0,
                                                                state: ["waiting": ["reason": "PodInitializing"]])]],
            ]
        }
        let done = Self.container("a", ready: false, restarts: 0, state: ["terminated": ["exitCode": 0, "reason": "Completed"]])
        let running = Self.container("b", ready: false, restarts: 0, state: ["running": [:]])
        #expect(try cells("", "pods", pod([done, running]))[1...3] == ["0/2", "Init:1/3", "0"])
        let crashing = Self.container("b", ready: false, restarts: 2, state: ["waiting": ["reason": "CrashLoopBackOff"]],
                                      last: ["terminated": ["exitCode": 1, "finishedAt": Self.ago(90)]])
        #expect(try cells("", "pods", pod([done, crashing]))[1...3] == ["0/2", "Init:CrashLoopBackOff", "2 (90s ago)"])
        let failed = Self.container("b", ready: false, restarts: 0, state: ["terminated": ["exitCode": 3]])
        #expect(try cells("", "pods", pod([done, failed]))[2] == "Init:ExitCode:3")
        let signalled = Self.container("b", ready: false, restarts: 0, state: ["terminated": ["exitCode": 137, "signal": 9]])
        #expect(try cells("", "pods", pod([done, signalled]))[2] == "Init:Signal:9")
        let oom = Self.container("b", ready: false, restarts: 0, state: ["terminated": ["exitCode": 137, "reason": "OOMKilled"]])
        #expect(try cells("", "pods", pod([done, oom]))[2] == "Init:OOMKilled")
        // initialized: the main containers decide, and a started sidecar counts toward READY
        let doneB = Self.container("b", ready: false, restarts: 0, state: ["terminated": ["exitCode": 0]])
        var sidecar = Self.container("proxy", ready: true, restarts: 1, state: ["running": [:]])
        sidecar["started"] = true
        #expect(try cells("", "pods", pod([done, doneB, sidecar], initialized: true))[1...3] == ["1/2", "PodInitializing", "1"])
    }

    @Test("ContainerCreating, scheduling gates and a completed container beside a running one")
    func podReasons() throws {
        let creating: JSONValue = [
            "metadata": Self.meta("c", age: 3),
            "spec": ["containers": [["name": "app"]]],
            "status": ["phase": "Pending", "containerStatuses": [
                Self.container("app", ready: false, restarts: 0, state: ["waiting": ["reason": "ContainerCreating"]]),
            ]],
        ]
        #expect(try cells("", "pods", creating)[1...2] == ["0/1", "ContainerCreating"])
        let gated: JSONValue = [
            "metadata": Self.meta("g", age: 3), "spec": ["containers": [["name": "app"]]],
            "status": ["phase": "Pending", "conditions": [["type": "PodScheduled", "status": "False", "reason": "SchedulingGated"]]],
        ]
        #expect(try cells("", "pods", gated)[2] == "SchedulingGated")
        let mixed: JSONValue = [
            "metadata": Self.meta("m", age: 3), "spec": ["containers": [["name": "a"], ["name": "b"]]],
            "status": ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]], "containerStatuses": [
                Self.container("a", ready: false, restarts: 0, state: ["terminated": ["exitCode": 0, "reason": "Completed"]]),
                Self.container("b", ready: true, restarts: 0, state: ["running": [:]]),
            ]],
        ]
        #expect(try cells("", "pods", mixed)[1...2] == ["1/2", "Running"])
    }

    // MARK: workloads

    @Test("deployments, replica sets, stateful sets and daemon sets")
    func workloads() throws {
        let template: JSONValue = ["spec": ["containers": [["name": "nginx", "image": "nginx:1.25"], ["name": "log", "image": "busybox"]],
                                            "nodeSelector": ["kubernetes.io/os": "linux", "disk": "ssd"]]]
        let selector: JSONValue = ["matchLabels": ["app": "web"],
                                   "matchExpressions": [["key": "tier", "operator": "In", "values": ["front", "edge"]],
                                                        ["key": "canary", "operator": "DoesNotExist"]]]
        let deployment: JSONValue = [
            "metadata": Self.meta("web", age: 2 * 86400 + 3 * 3600),
            "spec": ["replicas": 3, "selector": selector, "template": template],
            "status": ["readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2],
        ]
        #expect(try cells("apps", "deployments", deployment) == [
            "web", "2/3", 3, 2, "2d3h", "nginx,log", "nginx:1.25,busybox", "app=web,!canary,tier in (edge,front)",
        ])
        var unselective = deployment
        unselective[path: ["spec", "selector"]] = [:]
        #expect(try cells("apps", "deployments", unselective)[7] == "")
        #expect(try cells("apps", "replicasets", unselective)[7] == "<none>")
        #expect(try cells("apps", "replicasets", deployment) == [
            "web", 3, 0, 2, "2d3h", "nginx,log", "nginx:1.25,busybox", "app=web,!canary,tier in (edge,front)",
        ])
        #expect(try cells("apps", "statefulsets", deployment) == ["web", "2/3", "2d3h", "nginx,log", "nginx:1.25,busybox"])
        let daemonSet: JSONValue = [
            "metadata": Self.meta("agent", age: 45),
            "spec": ["selector": ["matchLabels": ["app": "agent"]], "template": template],
            "status": ["desiredNumberScheduled": 4, "currentNumberScheduled": 4, "numberReady": 3,
                       "updatedNumberScheduled": 4, "numberAvailable": 3],
        ]
        #expect(try cells("apps", "daemonsets", daemonSet) == [
            "agent", 4, 4, 3, 4, 3, "disk=ssd,kubernetes.io/os=linux", "45s", "nginx,log", "nginx:1.25,busybox", "app=agent",
        ])
        let rc: JSONValue = ["metadata": Self.meta("old"), "spec": ["replicas": 2, "selector": ["app": "old"], "template": template]]
        #expect(try cells("", "replicationcontrollers", rc) == ["old", 2, 0, 0, "5m", "nginx,log", "nginx:1.25,busybox", "app=old"])
        let revision: JSONValue = [
            "metadata": Self.meta("agent-5d8f", age: 60, ["ownerReferences": [
                ["apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "u", "controller": true]]]),
            "revision": 2,
        ]
        #expect(try cells("apps", "controllerrevisions", revision) == ["agent-5d8f", "daemonset.apps/agent", 2, "60s"])
    }

    @Test("a completed job, a running parallel job and cron jobs")
    func batch() throws {
        let job: JSONValue = [
            "metadata": Self.meta("done", age: 900),
            "spec": ["completions": 3, "selector": ["matchLabels": ["job-name": "done"]],
                     "template": ["spec": ["containers": [["name": "work", "image": "busybox"]]]]],
            "status": ["startTime": Self.ago(800), "completionTime": Self.ago(665), "succeeded": 3,
                       "conditions": [["type": "Complete", "status": "True"]]],
        ]
        #expect(try cells("batch", "jobs", job) == ["done", "Complete", "3/3", "2m15s", "15m", "work", "busybox", "job-name=done"])
        let running: JSONValue = [
            "metadata": Self.meta("queue", age: 100),
            "spec": ["parallelism": 4, "template": ["spec": ["containers": [["name": "w", "image": "x"]]]]],
            "status": ["startTime": Self.ago(95), "succeeded": 1, "active": 3],
        ]
        #expect(try cells("batch", "jobs", running)[1...3] == ["Running", "1/1 of 4", "95s"])
        var suspended = running
        suspended[path: ["status", "conditions"]] = [["type": "Suspended", "status": "True"]]
        #expect(try cells("batch", "jobs", suspended)[1] == "Suspended")
        var failing = running
        failing[path: ["status", "conditions"]] = [["type": "FailureTarget", "status": "True"]]
        #expect(try cells("batch", "jobs", failing)[1] == "FailureTarget")
        failing[path: ["status", "conditions"]] = [["type": "FailureTarget", "status": "True"], ["type": "Failed", "status": "True"]]
        #expect(try cells("batch", "jobs", failing)[1] == "Failed")
        let notStarted: JSONValue = ["metadata": Self.meta("new", age: 1), "spec": [:]]
        #expect(try cells("batch", "jobs", notStarted)[1...3] == ["Running", "0/1", ""])

        let cron: JSONValue = [
            "metadata": Self.meta("nightly", age: 3 * 86400),
            "spec": ["schedule": "0 3 * * *", "timeZone": "Europe/Paris", "suspend": false,
                     "jobTemplate": ["spec": ["template": ["spec": ["containers": [["name": "backup", "image": "restic"]]]]]]],
            "status": ["active": [["name": "nightly-1"]], "lastScheduleTime": Self.ago(9 * 3600)],
        ]
        #expect(try cells("batch", "cronjobs", cron) == [
            "nightly", "0 3 * * *", "Europe/Paris", "False", 1, "9h", "3d", "backup", "restic", "<none>",
        ])
        let bare: JSONValue = ["metadata": Self.meta("bare"), "spec": ["schedule": "@hourly"]]
        #expect(try cells("batch", "cronjobs", bare)[1...5] == ["@hourly", "<none>", "<unset>", 0, "<none>"])
    }

    // MARK: services and endpoints

    @Test("service types: ClusterIP, NodePort, LoadBalancer pending and assigned, ExternalName, headless")
    func services() throws {
        func service(_ type: String, _ spec: [String: JSONValue], status: JSONValue = [:]) -> JSONValue {
            var s: [String: JSONValue] = ["type": .string(type)]
            for (k, v) in spec { s[k] = v }
            return ["metadata": Self.meta("svc", age: 86400 * 30), "spec": .object(s), "status": status]
        }
        #expect(try cells("", "services", service("ClusterIP", [
            "clusterIP": "10.43.0.10", "clusterIPs": ["10.43.0.10"], "selector": ["app": "web"],
            "ports": [["port": 80, "protocol": "TCP"]],
        ])) == ["svc", "ClusterIP", "10.43.0.10", "<none>", "80/TCP", "30d", "app=web"])
        #expect(try cells("", "services", service("NodePort", [
            "clusterIPs": ["10.43.0.11"], "externalIPs": ["192.0.2.1", "192.0.2.2"],
            "ports": [["port": 80, "nodePort": 30080, "protocol": "TCP"], ["port": 53, "nodePort": 30053, "protocol": "UDP"]],
        ])) == ["svc", "NodePort", "10.43.0.11", "192.0.2.1,192.0.2.2", "80:30080/TCP,53:30053/UDP", "30d", "<none>"])
        #expect(try cells("", "services", service("LoadBalancer", [
            "clusterIPs": ["10.43.0.12"], "ports": [["port": 443, "nodePort": 31443, "protocol": "TCP"]],
        ]))[3] == "<pending>")
        #expect(try cells("", "services", service("LoadBalancer", ["clusterIPs": ["10.43.0.12"], "externalIPs": ["192.0.2.9"]],
                                                  status: ["loadBalancer": ["ingress": [["hostname": "lb.example"],
                                                                                        ["ip": "198.51.100.4"]]]]))[3]
                == "198.51.100.4,lb.example,192.0.2.9")
        #expect(try cells("", "services", service("ExternalName", ["externalName": "db.example.com"]))[1...4]
                == ["ExternalName", "<none>", "db.example.com", "<none>"])
        #expect(try cells("", "services", service("ClusterIP", ["clusterIP": "None", "clusterIPs": ["None"]]))[2] == "None")
    }

    @Test("endpoints and endpoint slices list three addresses, then how many more")
    func endpoints() throws {
        let endpoints: JSONValue = [
            "metadata": Self.meta("web"),
            "subsets": [["addresses": [["ip": "10.0.0.1"], ["ip": "10.0.0.2"]], "ports": [["port": 80], ["port": 443]]],
                        ["addresses": [["ip": "fd00::1"]]]],
        ]
        #expect(try cells("", "endpoints", endpoints) == ["web", "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...", "5m"])
        #expect(try cells("", "endpoints", ["metadata": Self.meta("none")])[1] == "<none>")
        let v6: JSONValue = ["metadata": Self.meta("v6"), "subsets": [["addresses": [["ip": "fd00::1"]], "ports": [["port": 80]]]]]
        #expect(try cells("", "endpoints", v6)[1] == "[fd00::1]:80")
        let slice: JSONValue = [
            "metadata": Self.meta("web-abc"), "addressType": "IPv4",
            "ports": [["name": "http", "port": 80], ["name": "named"], [:], ["port": 9090]],
            "endpoints": [["addresses": ["10.0.0.1"]], ["addresses": ["10.0.0.2"]]],
        ]
        #expect(try cells("discovery.k8s.io", "endpointslices", slice) == [
            "web-abc", "IPv4", "80,named,* + 1 more...", "10.0.0.1,10.0.0.2", "5m",
        ])
        #expect(try cells("discovery.k8s.io", "endpointslices", ["metadata": Self.meta("e"), "addressType": "IPv6"])[2...3]
                == ["<unset>", "<unset>"])
    }

    @Test("ingresses, ingress classes, IP addresses, admission policies and resource claims")
    func newerKinds() throws {
        let rules: JSONValue = .array((1...5).map { ["host": .string("h\($0).example")] })
        let ingress: JSONValue = ["metadata": Self.meta("web"),
                                  "spec": ["ingressClassName": "nginx", "rules": rules, "tls": [["hosts": ["h1.example"]]]],
                                  "status": ["loadBalancer": ["ingress": [["ip": "192.0.2.3"]]]]]
        #expect(try cells("networking.k8s.io", "ingresses", ingress) == [
            "web", "nginx", "h1.example,h2.example,h3.example + 2 more...", "192.0.2.3", "80, 443", "5m",
        ])
        #expect(try cells("networking.k8s.io", "ingresses", ["metadata": Self.meta("any"), "spec": ["rules": [[:]]]])[1...4]
                == ["<none>", "*", "", "80"])
        let ingressClass: JSONValue = ["metadata": Self.meta("nginx"),
                                       "spec": ["controller": "k8s.io/ingress-nginx",
                                                "parameters": ["apiGroup": "k8s.example.com", "kind": "Params", "name": "p"]]]
        #expect(try cells("networking.k8s.io", "ingressclasses", ingressClass)[1...2] == ["k8s.io/ingress-nginx", "Params.k8s.example.com/p"])
        let address: JSONValue = ["metadata": Self.meta("10.43.0.10"),
                                  "spec": ["parentRef": ["group": "", "resource": "services", "namespace": "kube-system", "name": "dns"]]]
        #expect(try cells("networking.k8s.io", "ipaddresses", address) == ["10.43.0.10", "services/kube-system/dns"])
        #expect(try cells("networking.k8s.io", "ipaddresses", ["metadata": Self.meta("x")]) == ["x", "<none>"])
        let binding: JSONValue = ["metadata": Self.meta("b"), "spec": ["policyName": "p", "paramRef": ["name": "limits"]]]
        #expect(try cells("admissionregistration.k8s.io", "validatingadmissionpolicybindings", binding) == ["b", "p", "*/limits", "5m"])
        let policy: JSONValue = ["metadata": Self.meta("p"), "spec": ["validations": [["expression": "true"], ["expression": "1 < 2"]],
                                                                     "paramKind": ["apiVersion": "v1", "kind": "ConfigMap"]]]
        #expect(try cells("admissionregistration.k8s.io", "validatingadmissionpolicies", policy) == ["p", 2, "v1/ConfigMap", "5m"])
        var claim: JSONValue = ["metadata": Self.meta("gpu"), "spec": [:]]
        #expect(try cells("resource.k8s.io", "resourceclaims", claim)[1] == "pending")
        claim["status"] = ["allocation": ["devices": [:]], "reservedFor": [["resource": "pods", "name": "p"]]]
        #expect(try cells("resource.k8s.io", "resourceclaims", claim)[1] == "allocated,reserved")
        claim[path: ["metadata", "deletionTimestamp"]] = Self.ago(1)
        #expect(try cells("resource.k8s.io", "resourceclaims", claim)[1] == "deleted,allocated,reserved")
    }

    // MARK: nodes, namespaces, config

    @Test("a not-ready, cordoned node with roles")
    func node() throws {
        let node: JSONValue = [
            "metadata": ["name": "cp-1", "creationTimestamp": Self.ago(400 * 86400),
                         "labels": ["node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": "",
                                    "kubernetes.io/role": "infra", "node-role.kubernetes.io/": "x"]],
            "spec": ["unschedulable": true],
            "status": [
                "conditions": [["type": "MemoryPressure", "status": "False"], ["type": "Ready", "status": "Unknown"]],
                "addresses": [["type": "Hostname", "address": "cp-1"], ["type": "InternalIP", "address": "192.0.2.10"]],
                "nodeInfo": ["kubeletVersion": "v1.36.0", "osImage": "Debian GNU/Linux 13 (trixie)", "kernelVersion": ""],
            ],
        ]
        #expect(try cells("", "nodes", node) == [
            "cp-1", "NotReady,SchedulingDisabled", "control-plane,infra,master", "400d", "v1.36.0", "192.0.2.10", "<none>",
            "Debian GNU/Linux 13 (trixie)", "<unknown>", "<unknown>",
        ])
        let bare: JSONValue = ["metadata": ["name": "n", "creationTimestamp": Self.ago(10)]]
        #expect(try cells("", "nodes", bare)[1...2] == ["Unknown", "<none>"])
    }

    @Test("namespaces, config maps, secrets, service accounts, quotas")
    func coreKinds() throws {
        #expect(try cells("", "namespaces", ["metadata": Self.meta("dev"), "status": ["phase": "Terminating"]])
                == ["dev", "Terminating", "5m"])
        #expect(try cells("", "configmaps", ["metadata": Self.meta("cfg"), "data": ["a": "1"], "binaryData": ["b": "AA=="]])
                == ["cfg", 2, "5m"])
        #expect(try cells("", "configmaps", ["metadata": Self.meta("empty")]) == ["empty", 0, "5m"])
        #expect(try cells("", "secrets", ["metadata": Self.meta("tls"), "type": "kubernetes.io/tls",
                                          "data": ["tls.crt": "YQ==", "tls.key": "Yg=="]]) == ["tls", "kubernetes.io/tls", 2, "5m"])
        #expect(try cells("", "serviceaccounts", ["metadata": Self.meta("default")]) == ["default", 0, "5m"])
        let quota: JSONValue = [
            "metadata": Self.meta("q"),
            "status": ["hard": ["pods": "10", "requests.cpu": "2", "limits.memory": "4Gi", "limits.cpu": "4"],
                       "used": ["pods": "3", "requests.cpu": "500m", "limits.cpu": "1"]],
        ]
        #expect(try cells("", "resourcequotas", quota) == [
            "q", "pods: 3/10, requests.cpu: 500m/2", "limits.cpu: 1/4, limits.memory: 0/4Gi", "5m",
        ])
        let template: JSONValue = ["metadata": Self.meta("t"),
                                   "template": ["metadata": ["labels": ["b": "2", "a": "1"]],
                                                "spec": ["containers": [["name": "c", "image": "i"]]]]]
        #expect(try cells("", "podtemplates", template) == ["t", "c", "i", "a=1,b=2"])
    }

    @Test("core and events.k8s.io events")
    func events() throws {
        let core: JSONValue = [
            "metadata": Self.meta("web-1.abc", age: 7200),
            "involvedObject": ["kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"],
            "reason": "BackOff", "message": "Back-off restarting failed container\n", "type": "Warning", "count": 12,
            "source": ["component": "kubelet", "host": "node-a"],
            "firstTimestamp": Self.ago(7200), "lastTimestamp": Self.ago(45),
        ]
        #expect(try cells("", "events", core) == [
            "45s", "Warning", "BackOff", "pod/web-1", "spec.containers{app}", "kubelet, node-a",
            "Back-off restarting failed container", "120m", 12, "web-1.abc",
        ])
        let series: JSONValue = [
            "metadata": Self.meta("s"), "eventTime": "2026-11-26T11:50:00.000000Z", "reportingController": "scheduler",
            "involvedObject": ["kind": "Node"], "series": ["count": 7, "lastObservedTime": "2026-11-26T11:59:00.500000Z"],
            "type": "Normal", "reason": "R",
        ]
        #expect(try cells("", "events", series) == ["59s", "Normal", "R", "node", "", "scheduler", "", "10m", 7, "s"])
        let v1: JSONValue = [
            "metadata": Self.meta("web-2.sched"), "eventTime": "2026-11-26T11:55:00.000000Z",
            "reportingController": "default-scheduler", "reportingInstance": "sched-1", "reason": "Scheduled",
            "regarding": ["kind": "Pod", "name": "web-2"], "note": "Successfully assigned", "type": "Normal",
        ]
        #expect(try cells("events.k8s.io", "events", v1) == [
            "5m", "Normal", "Scheduled", "pod/web-2", "", "default-scheduler, sched-1", "Successfully assigned", "5m", 1,
            "web-2.sched",
        ])
    }

    @Test("storage, scheduling, leases, budgets and autoscalers")
    func clusterKinds() throws {
        let pv: JSONValue = [
            "metadata": Self.meta("pv-1"),
            "spec": ["capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "fast",
                     "claimRef": ["namespace": "db", "name": "data"], "volumeMode": "Filesystem"],
            "status": ["phase": "Bound"],
        ]
        #expect(try cells("", "persistentvolumes", pv) == [
            "pv-1", "10Gi", "RWO,RWX", "Retain", "Bound", "db/data", "fast", "<unset>", "", "5m", "Filesystem",
        ])
        let pending: JSONValue = ["metadata": Self.meta("data"), "spec": ["resources": ["requests": ["storage": "1Gi"]],
                                                                          "storageClassName": "fast"],
                                  "status": ["phase": "Pending"]]
        #expect(try cells("", "persistentvolumeclaims", pending) == ["data", "Pending", "", "", "", "fast", "<unset>", "5m", "<unset>"])
        let bound: JSONValue = ["metadata": Self.meta("data"), "spec": ["volumeName": "pv-1", "volumeAttributesClassName": "gold"],
                                "status": ["phase": "Bound", "capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteOncePod"]]]
        #expect(try cells("", "persistentvolumeclaims", bound)[1...6] == ["Bound", "pv-1", "10Gi", "RWOP", "", "gold"])
        let sc: JSONValue = ["metadata": Self.meta("fast", age: 300, ["annotations": ["storageclass.kubernetes.io/is-default-class": "true"]]),
                             "provisioner": "kyvern.dev/local"]
        #expect(try cells("storage.k8s.io", "storageclasses", sc) == ["fast (default)", "kyvern.dev/local", "Delete", "Immediate", false, "5m"])
        #expect(try cells("scheduling.k8s.io", "priorityclasses", ["metadata": Self.meta("high"), "value": 1000, "globalDefault": true,
                                                                   "preemptionPolicy": "Never"])
                == ["high", 1000, true, "5m", "Never"])
        #expect(try cells("storage.k8s.io", "csistoragecapacities", ["metadata": Self.meta("cap"), "storageClassName": "fast",
                                                                      "capacity": "100Gi"]) == ["cap", "fast", "100Gi"])
        #expect(try cells("storage.k8s.io", "csistoragecapacities", ["metadata": Self.meta("cap")]) == ["cap", "", "<unset>"])
        #expect(try cells("coordination.k8s.io", "leases", ["metadata": Self.meta("node-a"), "spec": ["holderIdentity": "node-a"]])
                == ["node-a", "node-a", "5m"])
        #expect(try cells("coordination.k8s.io", "leases", ["metadata": Self.meta("free")])[1] == "")
        #expect(try cells("policy", "poddisruptionbudgets", ["metadata": Self.meta("pdb"), "spec": ["minAvailable": "50%"],
                                                              "status": ["disruptionsAllowed": 1]])
                == ["pdb", "50%", "N/A", 1, "5m"])
        let hpa: JSONValue = [
            "metadata": Self.meta("web"),
            "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "web"], "minReplicas": 2, "maxReplicas": 10,
                     "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 80]]],
                                 ["type": "Resource", "resource": ["name": "memory", "target": ["type": "AverageValue", "averageValue": "512Mi"]]],
                                 ["type": "Pods", "pods": ["target": ["averageValue": "1k"]]]]],
            "status": ["currentReplicas": 3, "currentMetrics": [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 40]]]]],
        ]
        #expect(try cells("autoscaling", "horizontalpodautoscalers", hpa) == [
            "web", "Deployment/web", "cpu: 40%/80%, memory: <unknown>/512Mi + 1 more...", "2", 10, 3, "5m",
        ])
        #expect(try cells("node.k8s.io", "runtimeclasses", ["metadata": Self.meta("runc"), "handler": "runc"]) == ["runc", "runc", "5m"])
        let driver: JSONValue = ["metadata": Self.meta("csi.example"), "spec": ["volumeLifecycleModes": ["Persistent", "Ephemeral"],
                                                                               "tokenRequests": [["audience": "a"], ["audience": "b"]]]]
        #expect(try cells("storage.k8s.io", "csidrivers", driver) == ["csi.example", true, false, false, "a,b", false, "Persistent,Ephemeral", "5m"])
        let attachment: JSONValue = ["metadata": Self.meta("va"), "spec": ["attacher": "csi.example", "nodeName": "node-a",
                                                                          "source": ["persistentVolumeName": "pv-1"]],
                                     "status": ["attached": true]]
        #expect(try cells("storage.k8s.io", "volumeattachments", attachment) == ["va", "csi.example", "pv-1", "node-a", true, "5m"])
    }

    // MARK: tables

    @Test("every column set has a printer filling exactly its columns")
    func columnsMatchPrinters() throws {
        let empty: JSONValue = ["metadata": ["name": "x"]]
        for (key, columns) in TableColumns.byResource {
            let parts = key.split(separator: "/").map(String.init)
            let (group, resource) = parts.count == 2 ? ("", parts[1]) : (parts[0], parts[2])
            if columns == DefaultTablePrinter.columns { continue }
            let printer = try #require(TablePrinters.printer(group: group, resource: resource), "\(key)")
            #expect(printer(empty, context).cells.count == columns.count, "\(key)")
        }
        for info in ResourceCatalog.all where info.verbs.contains("list") {
            let layout = TableConverter.Layout(info: info)
            #expect(layout.printer(empty, context).cells.count == layout.columns.count, "\(info.resource)")
        }
    }

    @Test("kinds without printer get upstream's default NAME / CREATED AT table")
    func defaultTable() throws {
        let info = try #require(ResourceCatalog.find(group: "", version: "v1", resource: "limitranges"))
        let layout = TableConverter.Layout(info: info)
        #expect(layout.columns.map(\.name) == ["Name", "Created At"] && layout.columns[1].type == "date")
        #expect(layout.printer(["metadata": Self.meta("l")], context).cells == ["l", Self.ago(300)])
    }

    static func cached(_ object: JSONValue) -> CachedObject {
        CachedObject(key: "k", object: object, bytes: object.serialized(), modRevision: 1)
    }

    @Test("rows carry metadata, the object or nothing; watch events after the first omit columns")
    func tableShape() throws {
        let info = try #require(ResourceCatalog.find(group: "", version: "v1", resource: "configmaps"))
        let object: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": Self.meta("c", age: 300, ["labels": ["a": "b"]]),
                                 "data": ["a": "b"]]
        let bytes = TableConverter.table(for: [Self.cached(object)], info: info, revision: "42", continueToken: "tok",
                                         include: .metadata, context: context)
        let table = try JSONValue.parse(bytes)
        #expect(bytes == table.serialized(), "written in the serializer's canonical key order")
        #expect(table["kind"] == "Table" && table["apiVersion"] == "meta.k8s.io/v1")
        #expect(table["metadata"] == ["resourceVersion": "42", "continue": "tok"])
        #expect(table["columnDefinitions"] == [
            ["name": "Name", "type": "string", "format": "name", "description": "", "priority": 0],
            ["name": "Data", "type": "string", "format": "", "description": "", "priority": 0],
            ["name": "Age", "type": "string", "format": "", "description": "", "priority": 0],
        ])
        #expect(table["rows"] == [["cells": ["c", 1, "5m"], "object": [
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]!]]])

        let full = try JSONValue.parse(TableConverter.table(for: [Self.cached(object)], info: info, revision: "1",
                                                            include: .object, headers: false, context: context))
        #expect(full["rows"]?.arrayValue?.first?["object"] == object)
        #expect(full["columnDefinitions"] == .null)
        let bare = try JSONValue.parse(TableConverter.table(for: [Self.cached(object)], info: info, revision: "1",
                                                            include: .none, context: context))
        #expect(bare["rows"]?.arrayValue?.first?["object"] == .null)
        let empty = try JSONValue.parse(TableConverter.table(for: [], info: info, revision: "7", include: .metadata,
                                                             context: context))
        #expect(empty["rows"] == [] && empty["metadata"] == ["resourceVersion": "7"])

        // a finished pod's row carries upstream's Completed condition
        let podInfo = try #require(ResourceCatalog.find(group: "", version: "v1", resource: "pods"))
        let pod: JSONValue = ["metadata": Self.meta("p"), "spec": ["containers": [["name": "a"]]], "status": ["phase": "Failed"]]
        let pods = try JSONValue.parse(TableConverter.table(for: [Self.cached(pod)], info: podInfo, revision: "1",
                                                            include: .none, context: context))
        #expect(pods["rows"]?.arrayValue?.first?["conditions"] == [["type": "Completed", "status": "True", "reason": "Failed",
                                                                   "message": "The pod failed."]])

        #expect(try TableConverter.IncludeObject(query: nil) == .metadata)
        #expect(try TableConverter.IncludeObject(query: "Object") == .object)
        #expect(throws: APIError.self) { try TableConverter.IncludeObject(query: "object") }
    }

    @Test("flow schemas list in matching order, as upstream prints them")
    func flowSchemaOrder() throws {
        let info = ResourceInfo(group: "flowcontrol.apiserver.k8s.io", version: "v1", resource: "flowschemas",
                                singularName: "flowschema", kind: "FlowSchema", listKind: "FlowSchemaList", namespaced: false,
                                verbs: ["list"], shortNames: [], categories: [], subresources: [],
                                definition: "io.k8s.api.flowcontrol.v1.FlowSchema", hasSpec: true, hasStatus: true)
        func schema(_ name: String, _ precedence: Int64) -> CachedObject {
            Self.cached(["metadata": Self.meta(name), "spec": ["matchingPrecedence": .int(precedence),
                                                               "priorityLevelConfiguration": ["name": "workload-low"]]])
        }
        let table = try JSONValue.parse(TableConverter.table(for: [schema("b", 1000), schema("exempt", 1), schema("a", 1000)],
                                                             info: info, revision: "1", include: .none, context: context))
        #expect(table["rows"]?.arrayValue?.map { $0["cells"]?.arrayValue?.first } == ["exempt", "a", "b"])
        #expect(table["rows"]?.arrayValue?.first?["cells"] == ["exempt", "workload-low", 1, "<none>", "5m", "?"])
    }

    @Test("a member's bytes are found without decoding, strings and nesting respected")
    func serializedMember() throws {
        let text = #"{"apiVersion":"v1","kind":"K","data":{"x":"}\"{"},"metadata":{"name":"a","labels":{"b":"]"}},"n":[1,{"metadata":2}]}"#
        let bytes = Array(text.utf8)
        let range = try #require(SerializedJSON.memberRange("metadata", in: bytes))
        #expect(String(decoding: bytes[range], as: UTF8.self) == #"{"name":"a","labels":{"b":"]"}}"#)
        #expect(SerializedJSON.memberRange("n", in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) } == "[1,{\"metadata\":2}]")
        #expect(SerializedJSON.memberRange("spec", in: bytes) == nil)
        #expect(SerializedJSON.memberRange("metadata", in: Array("[1]".utf8)) == nil)
    }

    @Test("10,000 config maps print as a table quickly")
    func largeTable() throws {
        let info = try #require(ResourceCatalog.find(group: "", version: "v1", resource: "configmaps"))
        let objects: [CachedObject] = (0..<10_000).map { i in
            Self.cached(["apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": ["name": .string("cm-\(i)"), "namespace": "bench", "uid": .string("uid-\(i)"),
                                      "resourceVersion": .string("\(i)"), "creationTimestamp": Self.ago(Int64(i)),
                                      "labels": ["app": "bench"]],
                         "data": ["key": "value"]])
        }
        let clock = ContinuousClock()
        var bytes: [UInt8] = []
        let elapsed = clock.measure {
            bytes = TableConverter.table(for: objects, info: info, revision: "1", include: .metadata, context: context)
        }
        let rows = try JSONValue.parse(bytes)["rows"]?.arrayValue ?? []
        #expect(rows.count == 10_000 && rows[9_999]["cells"] == ["cm-9999", 1, "166m"])
        #expect(elapsed < .seconds(2), "\(elapsed)")
    }
}
