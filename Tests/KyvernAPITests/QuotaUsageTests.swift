import KyvernAPI
import Testing

@Suite struct QuotaUsageTests {
    func pod(_ containers: [JSONValue], initContainers: [JSONValue] = [], phase: String? = nil) -> JSONValue {
        var pod: JSONValue = ["spec": ["containers": .array(containers), "initContainers": .array(initContainers)]]
        if let phase { pod["status"] = ["phase": .string(phase)] }
        return pod
    }

    func container(_ name: String, requests: [String: JSONValue] = [:], limits: [String: JSONValue] = [:],
                   restartPolicy: String? = nil) -> JSONValue {
        var container: JSONValue = ["name": .string(name), "resources": ["requests": .object(requests), "limits": .object(limits)]]
        if let restartPolicy { container["restartPolicy"] = .string(restartPolicy) }
        return container
    }

    @Test func aPodCountsItselfAndItsComputeResources() throws {
        let usage = QuotaUsage.usage(of: pod([container("a", requests: ["cpu": "250m", "memory": "64Mi"], limits: ["cpu": "1"]),
                                              container("b", requests: ["cpu": "250m"])]),
                                     group: "", resource: "pods")
        #expect(usage["pods"] == Quantity(1) && usage["count/pods"] == Quantity(1))
        #expect(usage["requests.cpu"]?.description == "500m" && usage["cpu"]?.description == "500m")
        #expect(usage["requests.memory"] == (try Quantity(parsing: "64Mi")))
        #expect(usage["limits.cpu"] == Quantity(1))
    }

    @Test func initContainersCountAtTheirPeakAndSidecarsAddUp() throws {
        let usage = QuotaUsage.usage(of: pod([container("app", requests: ["cpu": "100m"])],
                                             initContainers: [container("setup", requests: ["cpu": "2"]),
                                                              container("proxy", requests: ["cpu": "50m"], restartPolicy: "Always")]),
                                     group: "", resource: "pods")
        // setup runs alone (2); then app + proxy sidecar (150m): the peak is 2.
        #expect(usage["requests.cpu"] == Quantity(2))
    }

    @Test func finishedPodsCountNothing() {
        #expect(QuotaUsage.usage(of: pod([container("a")], phase: "Succeeded"), group: "", resource: "pods").isEmpty)
    }

    @Test func otherResources() throws {
        let service: JSONValue = ["spec": ["type": "NodePort", "ports": [["port": 80], ["port": 443]]]]
        let usage = QuotaUsage.usage(of: service, group: "", resource: "services")
        #expect(usage["services"] == Quantity(1) && usage["services.nodeports"] == Quantity(2))
        #expect(usage["services.loadbalancers"] == nil)
        let claim: JSONValue = ["spec": ["storageClassName": "fast", "resources": ["requests": ["storage": "5Gi"]]]]
        let claimUsage = QuotaUsage.usage(of: claim, group: "", resource: "persistentvolumeclaims")
        #expect(claimUsage["requests.storage"] == (try Quantity(parsing: "5Gi")))
        #expect(claimUsage["fast.storageclass.storage.k8s.io/persistentvolumeclaims"] == Quantity(1))
        #expect(QuotaUsage.usage(of: [:], group: "apps", resource: "deployments") == ["count/deployments.apps": Quantity(1)])
    }

    @Test func trackedComputeResourcesMustBeSet() {
        let missing = QuotaUsage.missingComputeResources(pod([container("app", requests: ["cpu": "1"])]),
                                                         tracked: ["requests.cpu", "limits.memory", "pods"])
        #expect(missing.map(\.0) == ["limits.memory"] && missing[0].1 == ["app"])
    }

    @Test func totalsCoverTrackedNamesOnly() {
        let total = QuotaUsage.total([["pods": Quantity(1), "cpu": Quantity(1)], ["pods": Quantity(1)]], tracked: ["pods", "secrets"])
        #expect(total == ["pods": Quantity(2), "secrets": Quantity(0)])
    }
}
