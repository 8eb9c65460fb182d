import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

@Suite("Pod workers on the fake runtime")
struct PodWorkerTests {
    @Test func startsSandboxAndContainerAndReportsRunning() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36", id: "sha256:" + String(repeating: "b", count: 64))
        let container = AgentHarness.container("app", extra: [
            "env": [["name": "MODE", "value": "fast"]],
            "resources": ["requests": ["cpu": "250m"], "limits": ["cpu": "500m", "memory": "64Mi"]],
            "ports": [["containerPort": 80, "hostPort": 8080, "protocol": "TCP"]],
            "volumeMounts": [["name": "data", "mountPath": "/data"]],
        ])
        let pod = try h.pod(containers: [container])
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let worker = h.worker(for: pod)
        #expect(await h.sync(worker) == false)

        let sandbox = try #require(h.runtime.sandboxes.first)
        let sandboxConfig = try #require(h.runtime.config(ofSandbox: sandbox.id))
        #expect(sandboxConfig.cgroupParent == "/kyvern/pod\(uid)")
        #expect(sandboxConfig.hostname == "web")
        #expect(sandboxConfig.dnsConfig.servers == ["10.43.0.10"])
        #expect(sandboxConfig.dnsConfig.searches == ["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "lan"])
        #expect(sandboxConfig.dnsConfig.options == ["ndots:5"])
        #expect(sandboxConfig.portMappings == [PortMapping(containerPort: 80, hostPort: 8080)])
        #expect(sandboxConfig.labels[RuntimeLabels.podUID] == uid)

        let created = try #require(h.runtime.container(named: "app"))
        let config = try #require(h.runtime.config(ofContainer: created.id))
        #expect(config.command == ["sleep", "3600"])
        #expect(config.env == [EnvVar(name: "MODE", value: "fast")])
        #expect(config.mounts == [Mount(containerPath: "/data", hostPath: "/pods/data")])
        #expect(config.resources == LinuxResources(cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitInBytes: 67_108_864))
        #expect(config.logPath == "app/0.log")
        #expect(config.labels[RuntimeLabels.containerName] == "app")
        #expect(h.runtime.calls("pullImage").isEmpty)  // IfNotPresent and present

        let status = try #require(h.stored()?["status"])
        #expect(status["phase"] == "Running")
        #expect(status["podIP"] == "10.88.0.2")
        #expect(status["podIPs"] == [["ip": "10.88.0.2"]])
        #expect(status["hostIP"] == "192.168.1.20")
        #expect(status["startTime"]?.stringValue == Timestamp.format(h.clock.now()))
        let app = try #require(h.containerStatus("app"))
        #expect(app["containerID"]?.stringValue == "runc://\(created.id)")
        #expect(app["imageID"]?.stringValue == "sha256:" + String(repeating: "b", count: 64))
        #expect(app["ready"] == true)
        #expect(app["started"] == true)
        #expect(app["restartCount"] == 0)
        #expect(app[path: ["state", "running", "startedAt"]]?.stringValue == Timestamp.format(h.clock.now()))
        #expect(h.condition("Ready")?["status"] == "True")
        #expect(h.condition("ContainersReady")?["status"] == "True")
        #expect(h.condition("Initialized")?["status"] == "True")
        #expect(h.condition("PodReadyToStartContainers")?["status"] == "True")
        #expect(h.condition("PodScheduled")?["lastTransitionTime"] == "2027-01-15T08:00:00Z")
        #expect(await h.events().map(\.0) == ["Pulled", "Created", "Started"])
        #expect(await h.events().first?.1 == "Container image \"127.0.0.1:5000/busybox:1.36\" already present on machine")
        #expect(await h.events()[1].1 == "Created container: app")
        #expect(await h.events()[2].1 == "Started container app")

        // A second sync with nothing changed writes nothing and starts nothing.
        h.client.clearActions()
        h.runtime.clearCalls()
        #expect(await h.sync(worker) == false)
        #expect(h.client.writes.isEmpty)
        #expect(h.runtime.calls("createContainer").isEmpty)
    }

    @Test func crashLoopBackoffDoublesFromTenSeconds() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod()
        let worker = h.worker(for: pod)
        await h.sync(worker)
        let first = try #require(h.runtime.container(named: "app"))
        h.clock.advance(2)
        h.runtime.exit(first.id, code: 1)

        // First crash: restarted at once, as upstream (no back-off entry yet).
        await h.sync(worker)
        #expect(h.runtime.container(named: "app")?.metadata.attempt == 1)
        #expect(h.containerStatus("app")?["restartCount"] == 1)
        #expect(h.containerStatus("app")?[path: ["lastState", "terminated", "exitCode"]] == 1)
        #expect(h.containerStatus("app")?[path: ["lastState", "terminated", "reason"]] == "Error")

        // Second crash: 10 s of back-off.
        h.clock.advance(1)
        h.runtime.exit(try #require(h.runtime.container(named: "app")).id, code: 2)
        h.clock.advance(5)
        await h.sync(worker)
        #expect(h.runtime.container(named: "app")?.metadata.attempt == 1)
        let waiting = try #require(h.containerStatus("app"))
        #expect(waiting[path: ["state", "waiting", "reason"]] == "CrashLoopBackOff")
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        #expect(waiting[path: ["state", "waiting", "message"]]?.stringValue
            == "back-off 10s restarting failed container=app pod=web_default(\(uid))")
        #expect(waiting[path: ["lastState", "terminated", "exitCode"]] == 2)
        #expect(waiting["restartCount"] == 1)
        #expect(h.stored()?[path: ["status", "phase"]] == "Running")
        #expect(h.condition("Ready")?["message"] == "containers with unready status: [app]")
        #expect(await h.events().contains { $0 == ("BackOff", "Back-off restarting failed container app in pod web_default(\(uid))") })

        h.clock.advance(5)
        await h.sync(worker)
        #expect(h.runtime.container(named: "app")?.metadata.attempt == 2)
        #expect(h.containerStatus("app")?[path: ["state", "running"]] != nil)

        // Third crash: 20 s.
        h.runtime.exit(try #require(h.runtime.container(named: "app")).id, code: 1)
        h.clock.advance(15)
        await h.sync(worker)
        #expect(h.runtime.container(named: "app")?.metadata.attempt == 2)
        #expect(h.containerStatus("app")?[path: ["state", "waiting", "message"]]?.stringValue?.hasPrefix("back-off 20s ") == true)
        h.clock.advance(6)
        await h.sync(worker)
        #expect(h.runtime.container(named: "app")?.metadata.attempt == 3)
        // Attempts older than the previous one are removed (the previous stays for --previous logs).
        #expect(h.runtime.containers.map(\.metadata.attempt).sorted() == [2, 3])
    }

    @Test func backoffCapsAtFiveMinutesAndResetsAfterTenMinutesRunning() {
        var backoff = RestartBackoff()
        let start = Date(timeIntervalSince1970: 0)
        var delays: [TimeInterval] = []
        for i in 0..<7 {
            backoff.next("app", now: start.addingTimeInterval(Double(i)))
            delays.append(backoff.delay("app"))
        }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300])
        #expect(RestartBackoff.goDuration(80) == "1m20s")
        #expect(RestartBackoff.goDuration(300) == "5m0s")
        #expect(backoff.isInBackoff("app", since: start, now: start.addingTimeInterval(299)))
        #expect(!backoff.isInBackoff("app", since: start, now: start.addingTimeInterval(300)))
        backoff.next("app", now: start.addingTimeInterval(6 + 601))
        #expect(backoff.delay("app") == 10)
    }

    @Test func restartPoliciesDecideThePhase() async throws {
        for (policy, code, phase, restarts) in [("Never", Int32(0), "Succeeded", 0), ("Never", 3, "Failed", 0),
                                                ("OnFailure", 0, "Succeeded", 0), ("OnFailure", 1, "Running", 1)] {
            let h = AgentHarness()
            h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
            let pod = try h.pod(spec: ["restartPolicy": .string(policy)])
            let worker = h.worker(for: pod)
            await h.sync(worker)
            h.runtime.exit(try #require(h.runtime.container(named: "app")).id, code: code)
            await h.sync(worker)
            #expect(h.stored()?[path: ["status", "phase"]]?.stringValue == phase, "\(policy) exit \(code)")
            #expect(h.runtime.container(named: "app")?.metadata.attempt == restarts)
            if phase != "Running" {
                let terminated = h.containerStatus("app")?[path: ["state", "terminated"]]
                #expect(terminated?["exitCode"] == .int(Int64(code)))
                #expect(terminated?["reason"]?.stringValue == (code == 0 ? "Completed" : "Error"))
                #expect(h.condition("Ready")?["reason"] == "PodCompleted")
                #expect(h.runtime.sandboxes.first?.state == .notReady)  // a finished pod's sandbox is stopped
            }
            await h.shutdown()
        }
    }

    @Test func oomKilledIsReported() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod(spec: ["restartPolicy": "Never"])
        let worker = h.worker(for: pod)
        await h.sync(worker)
        h.runtime.exit(try #require(h.runtime.container(named: "app")).id, code: 137, reason: "OOMKilled")
        await h.sync(worker)
        #expect(h.containerStatus("app")?[path: ["state", "terminated", "reason"]] == "OOMKilled")
        #expect(h.containerStatus("app")?[path: ["state", "terminated", "exitCode"]] == 137)
        #expect(h.stored()?[path: ["status", "phase"]] == "Failed")
    }

    @Test func imagePullFailureBacksOffAndNeverPullReports() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        let image = "127.0.0.1:5000/missing:1.0"
        struct PullError: Error, CustomStringConvertible { var description: String { "manifest unknown" } }
        h.runtime.setPullFailure(image, PullError())
        let pod = try h.pod(containers: [AgentHarness.container("app", image: image, extra: ["imagePullPolicy": "Always"])])
        let worker = h.worker(for: pod)
        await h.sync(worker)
        #expect(h.containerStatus("app")?[path: ["state", "waiting"]] == ["reason": "ErrImagePull", "message": .string("manifest unknown")])
        #expect(h.stored()?[path: ["status", "phase"]] == "Pending")
        #expect(await h.events().contains { $0 == ("Failed", "Failed to pull image \"\(image)\": manifest unknown") })
        #expect(await h.events().contains { $0 == ("Failed", "Error: ErrImagePull") })
        h.clock.advance(5)
        await h.sync(worker)
        #expect(h.containerStatus("app")?[path: ["state", "waiting"]]
            == ["reason": "ImagePullBackOff", "message": .string("Back-off pulling image \"\(image)\"")])
        #expect(h.runtime.calls("pullImage").count == 1)
        h.runtime.setPullFailure(image, nil)
        h.clock.advance(6)
        await h.sync(worker)
        #expect(h.runtime.calls("pullImage").count == 2)
        #expect(h.containerStatus("app")?[path: ["state", "running"]] != nil)
        #expect(await h.events().contains { $0.0 == "Pulled" && $0.1.hasPrefix("Successfully pulled image \"\(image)\" in ") })

        let never = AgentHarness()
        defer { Task { await never.shutdown() } }
        let neverPod = try never.pod(containers: [AgentHarness.container("app", image: image, extra: ["imagePullPolicy": "Never"])])
        await never.sync(never.worker(for: neverPod))
        #expect(never.containerStatus("app")?[path: ["state", "waiting"]]
            == ["reason": "ErrImageNeverPull", "message": .string("Container image \"\(image)\" is not present with pull policy of Never")])
        #expect(never.runtime.calls("pullImage").isEmpty)
    }

    @Test func pullsWithCredentialsFromImagePullSecrets() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        let config = #"{"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6czNjcmV0"}}}"#
        try h.client.seed(.secrets, [
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": ["name": "regcred", "namespace": "default"],
            "data": [".dockerconfigjson": .string(Data(config.utf8).base64EncodedString())],
        ])
        let pod = try h.pod(containers: [AgentHarness.container("app", image: "127.0.0.1:5000/busybox:latest",
                                                                extra: ["imagePullPolicy": "Always"])],
                            spec: ["imagePullSecrets": [["name": "regcred"]]])
        await h.sync(h.worker(for: pod))
        #expect(h.runtime.calls("pullImage") == ["127.0.0.1:5000/busybox:latest as alice"])
        #expect(PodWorker.defaultPullPolicy("busybox") == "Always")
        #expect(PodWorker.defaultPullPolicy("busybox:latest") == "Always")
        #expect(PodWorker.defaultPullPolicy("127.0.0.1:5000/busybox:1.36") == "IfNotPresent")
        #expect(PodWorker.defaultPullPolicy("127.0.0.1:5000/busybox") == "Always")
    }

    @Test func initContainersRunInOrderBeforeContainers() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod(initContainers: [AgentHarness.container("init-a"), AgentHarness.container("init-b")])
        let worker = h.worker(for: pod)
        await h.sync(worker)
        #expect(h.runtime.containers.map(\.metadata.name) == ["init-a"])
        #expect(h.containerStatus("app")?[path: ["state", "waiting", "reason"]] == "PodInitializing")
        #expect(h.containerStatus("init-b", key: "initContainerStatuses")?[path: ["state", "waiting", "reason"]] == "PodInitializing")
        #expect(h.condition("Initialized")?["message"] == "containers with incomplete status: [init-a init-b]")
        #expect(h.condition("Initialized")?["reason"] == "ContainersNotInitialized")
        #expect(h.stored()?[path: ["status", "phase"]] == "Pending")

        h.runtime.exit(try #require(h.runtime.container(named: "init-a")).id, code: 0)
        await h.sync(worker)
        #expect(h.runtime.containers.map(\.metadata.name) == ["init-a", "init-b"])
        h.runtime.exit(try #require(h.runtime.container(named: "init-b")).id, code: 0)
        await h.sync(worker)
        #expect(h.runtime.containers.map(\.metadata.name) == ["init-a", "init-b", "app"])
        #expect(h.condition("Initialized")?["status"] == "True")
        #expect(h.containerStatus("init-a", key: "initContainerStatuses")?[path: ["state", "terminated", "reason"]] == "Completed")
        #expect(h.stored()?[path: ["status", "phase"]] == "Running")
    }

    @Test func sidecarStartsAndKeepsRunningBesideContainers() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod(initContainers: [AgentHarness.container("proxy", extra: ["restartPolicy": "Always"])],
                            spec: ["restartPolicy": "Never"])
        let worker = h.worker(for: pod)
        await h.sync(worker)
        await h.sync(worker)
        #expect(h.runtime.containers.map(\.metadata.name) == ["proxy", "app"])
        #expect(h.containerStatus("proxy", key: "initContainerStatuses")?["ready"] == true)
        // The sidecar restarts even under restartPolicy Never.
        h.runtime.exit(try #require(h.runtime.container(named: "proxy")).id, code: 1)
        await h.sync(worker)
        #expect(h.runtime.container(named: "proxy")?.metadata.attempt == 1)
        // When the main container completes, the pod succeeds and the sidecar is stopped.
        h.runtime.exit(try #require(h.runtime.container(named: "app")).id, code: 0)
        await h.sync(worker)
        #expect(h.stored()?[path: ["status", "phase"]] == "Succeeded")
        #expect(h.runtime.container(named: "proxy")?.state == .exited)
    }

    @Test func livenessFailureKillsAndRestartsAndReadinessDrivesReady() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let probe: JSONValue = ["exec": ["command": ["cat", "/tmp/healthy"]], "periodSeconds": 3600, "initialDelaySeconds": 3600]
        let pod = try h.pod(containers: [AgentHarness.container("app", extra: ["livenessProbe": probe, "readinessProbe": probe])])
        let worker = h.worker(for: pod)
        await h.sync(worker)
        let first = try #require(h.runtime.container(named: "app"))
        // A readiness probe that has not succeeded yet: not ready.
        #expect(h.containerStatus("app")?["ready"] == false)
        #expect(h.condition("Ready")?["reason"] == "ContainersNotReady")
        await h.context.probes.set(ContainerProbeState(ready: true, started: true), for: first.id)
        await h.sync(worker)
        #expect(h.containerStatus("app")?["ready"] == true)
        #expect(h.condition("Ready")?["status"] == "True")

        await h.context.probes.set(ContainerProbeState(ready: true, started: true, livenessFailed: true,
                                                       livenessMessage: "failed liveness probe"), for: first.id)
        await h.sync(worker)
        #expect(h.runtime.calls("stopContainer") == [first.id])
        #expect(h.runtime.container(named: "app")?.metadata.attempt == 1)
        #expect(h.containerStatus("app")?["restartCount"] == 1)
        #expect(h.containerStatus("app")?["ready"] == false)  // the new container's readiness starts over
        #expect(await h.events().contains { $0 == ("Killing", "Container app failed liveness probe, will be restarted") })
    }

    @Test func configErrorIsReportedAsCreateContainerConfigError() async throws {
        let h = AgentHarness(environment: FakeEnvironment(failing: ["app"]))
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod()
        await h.sync(h.worker(for: pod))
        #expect(h.containerStatus("app")?[path: ["state", "waiting"]]
            == ["reason": "CreateContainerConfigError", "message": "configmap \"settings\" not found"])
        #expect(await h.events().contains { $0 == ("Failed", "Error: configmap \"settings\" not found") })
        #expect(h.runtime.calls("createContainer").isEmpty)
    }

    @Test func adoptsRunningContainersAfterRestart() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod()
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        await h.sync(h.worker(for: pod))
        let running = try #require(h.runtime.container(named: "app"))

        // A new agent: new worker, same runtime.
        h.runtime.clearCalls()
        h.client.clearActions()
        let fresh = h.worker(for: try #require(h.stored()))
        await h.sync(fresh)
        #expect(h.runtime.calls("runPodSandbox").isEmpty)
        #expect(h.runtime.calls("createContainer").isEmpty)
        #expect(h.runtime.calls("stopContainer").isEmpty)
        #expect(h.runtime.container(named: "app")?.id == running.id)
        #expect(h.runtime.container(named: "app")?.pid == running.pid)
        #expect(h.containerStatus("app")?["containerID"]?.stringValue == "runc://\(running.id)")
        #expect(h.runtime.sandboxes.allSatisfy { $0.labels[RuntimeLabels.podUID] == uid })
    }

    @Test func gracefulDeletionStopsCleansUpAndDeletesThePod() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod(containers: [AgentHarness.container("app", extra: [
            "lifecycle": ["preStop": ["exec": ["command": ["sh", "-c", "sleep 1"]]]],
        ])])
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let worker = h.worker(for: pod)
        await h.sync(worker)
        let container = try #require(h.runtime.container(named: "app"))
        _ = try await h.client.delete(.pods, namespace: "default", name: "web", options: DeleteOptions(gracePeriodSeconds: 30))
        let deleting = try #require(h.stored())
        #expect(deleting[path: ["metadata", "deletionTimestamp"]] != nil)
        h.client.clearActions()
        #expect(await worker.sync(deleting) == true)
        #expect(h.runtime.calls("execSync") == ["\(container.id) sh -c sleep 1"])
        #expect(h.runtime.calls("stopContainer") == [container.id])
        #expect(h.runtime.calls("removePodSandbox").count == 1)
        #expect(h.runtime.sandboxes.isEmpty)
        #expect(h.volumes.calls.last == "tearDown \(uid)")
        #expect(h.stored() == nil)
        let writes = h.client.writes.map(\.description)
        #expect(writes.contains("patch pods/status default/web"))
        #expect(writes.last == "delete pods default/web")
        #expect(await h.events().contains { $0 == ("Killing", "Stopping container app") })
    }
}
