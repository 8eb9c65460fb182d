import Foundation
import KyvernAPI
import Testing

/// The generated models keep the wire form exactly: `JSONValue → typed → JSONValue` is identical
/// for objects as the server stores them.
@Suite struct ModelRoundTripTests {
    /// A pod as an upstream server returns it after defaulting, scheduling and a kubelet's status.
    static let pod = #"""
    {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d4b9c-x2k8p","generateName":"web-7d4b9c-",
     "namespace":"default","uid":"0b7c6c7e-2f2a-4a63-9d0e-5b1d3f1c2a11","resourceVersion":"4711","generation":1,
     "creationTimestamp":"2026-11-26T10:00:00Z","labels":{"app":"web","pod-template-hash":"7d4b9c"},
     "annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-26T09:59:00Z"},
     "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c",
       "uid":"a1b2c3d4-0000-4000-8000-000000000001","controller":true,"blockOwnerDeletion":true}],
     "managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1",
       "time":"2026-11-26T10:00:00Z","fieldsType":"FieldsV1",
       "fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{}}}}}]},
     "spec":{"volumes":[{"name":"kube-api-access-abcde","projected":{"sources":[
       {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
       {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
       {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],
       "defaultMode":420}}],
      "containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],
       "env":[{"name":"MODE","value":"prod"}],
       "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},
       "volumeMounts":[{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],
       "livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"initialDelaySeconds":3,
         "timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},
       "readinessProbe":{"tcpSocket":{"port":80},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},
       "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
      "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
      "serviceAccountName":"default","serviceAccount":"default","nodeName":"node-1","securityContext":{},
      "schedulerName":"default-scheduler",
      "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},
       {"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],
      "priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},
     "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,
       "lastTransitionTime":"2026-11-26T10:00:05Z"}],"hostIP":"10.0.0.11","hostIPs":[{"ip":"10.0.0.11"}],
      "podIP":"10.244.1.5","podIPs":[{"ip":"10.244.1.5"}],"startTime":"2026-11-26T10:00:01Z",
      "containerStatuses":[{"name":"nginx","state":{"running":{"startedAt":"2026-11-26T10:00:03Z"}},"lastState":{},
       "ready":true,"restartCount":0,"image":"docker.io/library/nginx:1.27","imageID":"docker.io/library/nginx@sha256:abc",
       "containerID":"containerd://123","started":true}],"qosClass":"Burstable"}}
    """#

    static let deployment = #"""
    {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","uid":"u-1",
     "resourceVersion":"99","generation":3,"creationTimestamp":"2026-11-26T10:00:00Z",
     "annotations":{"deployment.kubernetes.io/revision":"2"},"labels":{"app":"web"}},
     "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"},
       "matchExpressions":[{"key":"tier","operator":"In","values":["front","edge"]}]},
      "template":{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"nginx",
       "image":"nginx:1.27","resources":{},"terminationMessagePath":"/dev/termination-log",
       "terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always",
       "terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":1}},
      "revisionHistoryLimit":10,"progressDeadlineSeconds":600},
     "status":{"observedGeneration":3,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3,
      "conditions":[{"type":"Available","status":"True","lastUpdateTime":"2026-11-26T10:00:09Z",
       "lastTransitionTime":"2026-11-26T10:00:09Z","reason":"MinimumReplicasAvailable",
       "message":"Deployment has minimum availability."}]}}
    """#

    static let lease = #"""
    {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"kyvern-controller-manager",
     "namespace":"kube-system","uid":"u-2","resourceVersion":"12","creationTimestamp":"2026-11-26T10:00:00Z"},
     "spec":{"holderIdentity":"host_1234","leaseDurationSeconds":15,"acquireTime":"2026-11-26T10:00:00.123456Z",
      "renewTime":"2026-11-26T10:05:00.654321Z","leaseTransitions":2}}
    """#

    func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    @Test func aDefaultedPodRoundTrips() throws {
        var json = try parse(Self.pod)
        // Go writes a nil time inside a condition as null; the typed form omits it (it reads as absent).
        json[path: ["status", "conditions"]] = .array(json[path: ["status", "conditions"]]!.arrayValue!.map {
            var c = $0; c["lastProbeTime"] = nil; return c
        })
        let pod = try CoreV1.Pod(json: json)
        #expect(pod.json == json)
        #expect(pod.metadata.ownerReferences?.first?.controller == true)
        #expect(pod.spec?.containers.first?.resources?.requests?["cpu"] == Quantity(milli: 250))
        #expect(pod.spec?.containers.first?.livenessProbe?.httpGet?.port == .string("http"))
        #expect(pod.spec?.containers.first?.readinessProbe?.tcpSocket?.port == .int(80))
        #expect(pod.spec?.tolerations?.first?.tolerationSeconds == 300)
        #expect(pod.metadata.managedFields?.first?.fieldsV1?["f:metadata"] != nil)
        #expect(pod.status?.containerStatuses?.first?.state?.running?.startedAt == "2026-11-26T10:00:03Z")
    }

    @Test func aDeploymentRoundTrips() throws {
        let json = try parse(Self.deployment)
        let deployment = try AppsV1.Deployment(json: json)
        #expect(deployment.json == json)
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable == "25%")
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge == 1)
        #expect(deployment.spec?.selector.matchExpressions?.first?.operator == "In")
        #expect(deployment.spec?.template.spec?.containers.map(\.name) == ["nginx"])
    }

    @Test func aLeaseRoundTripsAndThroughCodable() throws {
        let json = try parse(Self.lease)
        let lease = try CoordinationV1.Lease(json: json)
        #expect(lease.json == json)
        #expect(lease.spec?.leaseDurationSeconds == 15)
        let data = try JSONEncoder().encode(lease)
        #expect(try JSONDecoder().decode(CoordinationV1.Lease.self, from: data) == lease)
        #expect(try JSONValue.parse(Array(data)) == json)
    }

    @Test func newObjectsCarryTheirKindAndOmitUnsetFields() {
        let account = CoreV1.ServiceAccount(metadata: MetaV1.ObjectMeta(name: "default", namespace: "team"))
        #expect(account.json == ["apiVersion": "v1", "kind": "ServiceAccount",
                                 "metadata": ["name": "default", "namespace": "team"]])
        #expect(AppsV1.ReplicaSet().json == ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": [:]])
        // Go keywords that are Swift keywords keep their wire names.
        let list = MetaV1.ListMeta(continue: "token", resourceVersion: "5")
        #expect(list.json == ["continue": "token", "resourceVersion": "5"])
    }

    @Test func errorsNameTheFieldPath() throws {
        var json = try parse(Self.deployment)
        json[path: ["spec", "template", "spec", "containers"]] = [["image": "x"]]
        #expect(throws: ModelDecodingError(path: "spec.template.spec.containers[0].name",
                                           message: "required field is missing")) {
            try AppsV1.Deployment(json: json)
        }
        json[path: ["spec", "replicas"]] = "three"
        #expect(throws: ModelDecodingError(path: "spec.replicas", message: "expected int32, found string")) {
            try AppsV1.Deployment(json: json)
        }
        #expect(throws: ModelDecodingError.self) { try CoreV1.Pod(json: ["spec": ["containers": [["name": "a", "resources": ["limits": ["cpu": "lots"]]]]]]) }
    }

    @Test func intOrStringAndQuantityKeepTheirSpelling() throws {
        #expect(try IntOrString(json: 8080) == .int(8080))
        #expect(try IntOrString(json: "http").json == "http")
        #expect(throws: ModelDecodingError.self) { try IntOrString(json: true) }
        #expect(try Quantity(json: "1536Mi").json == "1536Mi")
        #expect(try Quantity(json: "100m").json == "100m")
    }
}
