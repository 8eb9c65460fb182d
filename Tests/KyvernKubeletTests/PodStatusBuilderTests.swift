import Foundation
import KyvernAPI
import Testing

@testable import KyvernKubelet

@Suite("Simulated pod statuses")
struct PodStatusBuilderTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    var stamp: JSONValue { .string(Timestamp.format(now)) }

    static func pod(node: String = "sim-1", uid: String = "uid-1", spec extra: [String: JSONValue] = [:],
                    status: JSONValue? = nil, deleting: Bool = false) -> JSONValue {
        var spec: [String: JSONValue] = [
            "nodeName": .string(node),
            "containers": [["name": "app", "image": "nginx:1.27"], ["name": "log", "image": "busybox"]],
        ]
        spec.merge(extra) { _, new in new }
        var pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "web", "namespace": "default", "uid": .string(uid), "resourceVersion": "7"],
            "spec": .object(spec),
        ]
        if let status { pod["status"] = status }
        if deleting { pod[path: ["metadata", "deletionTimestamp"]] = "2026-11-26T10:00:00Z" }
        return pod
    }

    @Test func runningStatusAsAKubeletReportsIt() {
        let scheduled: JSONValue = ["phase": "Pending", "qosClass": "BestEffort", "conditions": [
            ["type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"],
        ]]
        let status = PodStatusBuilder.running(pod: Self.pod(status: scheduled), hostIP: "172.16.0.2",
                                              podIP: "10.128.1.2", now: now)
        #expect(status["phase"] == "Running")
        #expect(status["hostIP"] == "172.16.0.2")
        #expect(status["hostIPs"] == [["ip": "172.16.0.2"]])
        #expect(status["podIP"] == "10.128.1.2")
        #expect(status["podIPs"] == [["ip": "10.128.1.2"]])
        #expect(status["startTime"] == stamp)
        #expect(status["qosClass"] == "BestEffort")
        let conditions = status["conditions"]?.arrayValue ?? []
        #expect(conditions.map { $0["type"] } == ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"])
        #expect(conditions.allSatisfy { $0["status"] == "True" })
        #expect(conditions[4]["lastTransitionTime"] == "2026-01-01T00:00:00Z")
        let containers = status["containerStatuses"]?.arrayValue ?? []
        #expect(containers.map { $0["name"] } == ["app", "log"])
        #expect(containers[0]["image"] == "nginx:1.27")
        #expect(containers[0]["imageID"] == "simulated://nginx:1.27")
        #expect(containers[0]["containerID"]?.stringValue?.hasPrefix("simulated://") == true)
        #expect(containers[0]["containerID"] != containers[1]["containerID"])
        #expect(containers.allSatisfy { $0["ready"] == true && $0["started"] == true && $0["restartCount"] == 0 })
        #expect(containers[0]["state"] == ["running": ["startedAt": stamp]])
        #expect(status["initContainerStatuses"] == nil)
    }

    @Test func initContainersCompletedAndSidecarsRunning() {
        let pod = Self.pod(spec: ["initContainers": [
            ["name": "setup", "image": "busybox"],
            ["name": "proxy", "image": "envoy", "restartPolicy": "Always"],
        ]])
        let statuses = PodStatusBuilder.running(pod: pod, hostIP: "h", podIP: "p", now: now)["initContainerStatuses"]?.arrayValue ?? []
        #expect(statuses.count == 2)
        #expect(statuses[0][path: ["state", "terminated", "reason"]] == "Completed")
        #expect(statuses[0][path: ["state", "terminated", "exitCode"]] == 0)
        #expect(statuses[0]["ready"] == true)
        #expect(statuses[0]["started"] == false)
        #expect(statuses[1][path: ["state", "running", "startedAt"]] == stamp)
        #expect(statuses[1]["started"] == true)
    }

    @Test func unmetReadinessGateKeepsPodNotReady() {
        let pod = Self.pod(spec: ["readinessGates": [["conditionType": "example.com/lb"]]])
        let conditions = PodStatusBuilder.running(pod: pod, hostIP: "h", podIP: "p", now: now)["conditions"]?.arrayValue ?? []
        let ready = conditions.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "False")
        #expect(ready?["reason"] == "ReadinessGatesNotReady")
    }

    @Test func terminatedStatusStopsEveryContainer() {
        let running = PodStatusBuilder.running(pod: Self.pod(), hostIP: "h", podIP: "p", now: now)
        let later = now.addingTimeInterval(30)
        let status = PodStatusBuilder.terminated(pod: Self.pod(status: running, deleting: true), now: later)
        #expect(status["phase"] == "Succeeded")
        for container in status["containerStatuses"]?.arrayValue ?? [] {
            #expect(container[path: ["state", "terminated", "exitCode"]] == 0)
            #expect(container[path: ["state", "terminated", "reason"]] == "Completed")
            #expect(container[path: ["state", "terminated", "startedAt"]] == stamp)
            #expect(container[path: ["state", "terminated", "finishedAt"]] == .string(Timestamp.format(later)))
            #expect(container["ready"] == false)
        }
        let ready = status["conditions"]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "False")
        #expect(ready?["reason"] == "PodCompleted")
    }

    @Test func actionFollowsThePodsState() {
        #expect(PodStatusBuilder.action(for: Self.pod()) == .markRunning)
        let running = PodStatusBuilder.running(pod: Self.pod(), hostIP: "h", podIP: "10.128.1.2", now: now)
        #expect(PodStatusBuilder.action(for: Self.pod(status: running)) == .none)
        #expect(PodStatusBuilder.action(for: Self.pod(status: ["phase": "Running"])) == .markRunning)
        #expect(PodStatusBuilder.action(for: Self.pod(status: ["phase": "Succeeded"])) == .none)
        #expect(PodStatusBuilder.action(for: Self.pod(status: running, deleting: true)) == .terminate)
    }
}
