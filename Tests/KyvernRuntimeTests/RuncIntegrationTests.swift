import Foundation
import Testing
@testable import KyvernRuntime

/// Real containers through runc; only as root with runc and the kyvern binary built.
@Suite(.serialized, .enabled(if: RuncTestEnvironment.available))
struct RuncIntegrationTests {
    func container(_ name: String, _ command: [String], resources: LinuxResources = .init()) -> ContainerConfig {
        ContainerConfig(metadata: .init(name: name), image: "busybox", command: command, logPath: "\(name)/0.log", resources: resources)
    }

    @Test func outputGoesToTheLogAndExitCodeIsReported() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: container("echo", ["sh", "-c", "echo hello; echo oops >&2; exit 3"]),
                                                       sandboxConfig: sandbox)
            #expect(try await runtime.containerStatus(id: id).state == .created)
            try await runtime.startContainer(id: id)
            let status = try await waitForExit(runtime, id)
            #expect(status.state == .exited)
            #expect(status.exitCode == 3)
            #expect(status.reason == "Error")
            #expect(status.logPath == sandbox.logDirectory + "/echo/0.log")
            let lines = try String(contentsOfFile: status.logPath, encoding: .utf8).split(separator: "\n")
            #expect(lines.map { $0.split(separator: " ", maxSplits: 1)[1] }.sorted() == ["stderr F oops", "stdout F hello"])
            #expect(lines.allSatisfy { $0.firstMatch(of: #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /#) != nil })
        }
    }

    @Test func sandboxHasItsNetworkCgroupAndFiles() async throws {
        let network = RecordingNetwork()
        var cgroup = ""
        var namespacePath = ""
        try await withSandbox(network: network, resources: .init(memoryLimitInBytes: 64 << 20)) { runtime, sandboxID, sandbox, _ in
            let status = try await runtime.podSandboxStatus(id: sandboxID)
            #expect(status.state == .ready)
            #expect(status.ips == ["10.1.2.3"])
            namespacePath = status.networkNamespacePath
            #expect(FileManager.default.fileExists(atPath: namespacePath))
            cgroup = sandbox.cgroupParent
            #expect(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory" + cgroup))
            #expect(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + cgroup))
            #expect(try String(contentsOfFile: "/sys/fs/cgroup/memory" + cgroup + "/memory.limit_in_bytes", encoding: .utf8) == "\(64 << 20)\n")
            let config = ContainerConfig(metadata: .init(name: "net"), image: "busybox",
                                         command: ["sh", "-c", "cat /etc/hosts; ip -o link; tty"], logPath: "net/0.log", tty: true)
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: config, sandboxConfig: sandbox)
            try await runtime.startContainer(id: id)
            let exited = try await waitForExit(runtime, id)
            let log = try String(contentsOfFile: exited.logPath, encoding: .utf8)
            #expect(log.contains("10.1.2.3\t\(sandbox.hostname)"))
            #expect(log.contains(": lo: <LOOPBACK,UP,LOWER_UP>"))
            #expect(!log.contains("eth0"))
            #expect(log.contains("stdout F /dev/pts/0"))
            try await runtime.stopPodSandbox(id: sandboxID)
            #expect(try await runtime.podSandboxStatus(id: sandboxID).state == .notReady)
        }
        #expect(await network.calls == ["setUp true", "tearDown true"])
        #expect(!FileManager.default.fileExists(atPath: namespacePath))
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory" + cgroup))
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified" + cgroup))
    }

    @Test func securityContextUserReadOnlyRootAndMounts() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, root in
            let data = root + "/data"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try "from the node\n".write(toFile: data + "/file", atomically: true, encoding: .utf8)
            var config = ContainerConfig(
                metadata: .init(name: "sec"), image: "busybox",
                command: ["sh", "-c", "id -u; id -g; cat /data/file; touch /x || echo rootfs-ro; touch /data/y || echo mount-ro; echo $GREETING; pwd"],
                workingDir: "/tmp", env: [.init(name: "GREETING", value: "hi")],
                mounts: [.init(containerPath: "/data", hostPath: data, readOnly: true)], logPath: "sec/0.log")
            config.securityContext = .init(runAsUser: 65534, readOnlyRootFilesystem: true)
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: config, sandboxConfig: sandbox)
            try await runtime.startContainer(id: id)
            let status = try await waitForExit(runtime, id)
            #expect(status.exitCode == 0)
            let stdout = try String(contentsOfFile: status.logPath, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains(" stdout F ") }.map { String($0.split(separator: " ", maxSplits: 3)[3]) }
            #expect(stdout == ["65534", "65534", "from the node", "rootfs-ro", "mount-ro", "hi", "/tmp"])
        }
    }

    @Test func aMissingExecutableFailsTheStartWithRuncsMessage() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, root in
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: container("missing", ["/no/such/program"]),
                                                       sandboxConfig: sandbox)
            await #expect {
                try await runtime.startContainer(id: id)
            } throws: { error in
                "\(error)".contains("/no/such/program") && "\(error)".contains("no such file or directory")
            }
            #expect(try await runtime.containerStatus(id: id).state == .created)
            try await runtime.removeContainer(id: id)
            #expect(try await runtime.listContainers(.init()).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: root + "/state/containers/" + id))
            #expect(!FileManager.default.fileExists(atPath: root + "/state/runc/" + id))
        }
    }

    @Test func memoryHogOverItsLimitIsOOMKilled() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let hog = container("hog", ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                                resources: .init(memoryLimitInBytes: 20 << 20))
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: hog, sandboxConfig: sandbox)
            try await runtime.startContainer(id: id)
            let status = try await waitForExit(runtime, id)
            #expect(status.exitCode == 137)
            #expect(status.reason == "OOMKilled")
        }
    }

    @Test func execSeesOnlyTheContainersProcessesAndAdoptionKeepsThePid() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, root in
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: container("sleeper", ["sleep", "60"]), sandboxConfig: sandbox)
            try await runtime.startContainer(id: id)
            let running = try await runtime.containerStatus(id: id)
            #expect(running.state == .running)
            let ps = try await runtime.execSync(id: id, command: ["ps", "-o", "pid,comm"], timeout: .seconds(10))
            #expect(ps.exitCode == 0)
            let rows = String(decoding: ps.stdout, as: UTF8.self).split(separator: "\n").dropFirst()
                .map { $0.split(separator: " ").map(String.init) }
            #expect(rows.map { $0.last ?? "" }.sorted() == ["ps", "sleep"])
            #expect(rows.first { $0.last == "sleep" }?.first == "1")
            let hostname = try await runtime.execSync(id: id, command: ["hostname"], timeout: .seconds(10))
            #expect(String(decoding: hostname.stdout, as: UTF8.self) == sandbox.hostname + "\n")

            // A second instance on the same state directory (an agent restart) adopts the container.
            let again = try RuncRuntime(stateDirectory: root + "/state", layerSource: BusyboxLayerSource.shared!,
                                        shimExecutable: RuncTestEnvironment.kyvernBinary)
            let adopted = try await again.containerStatus(id: id)
            #expect(adopted.state == .running)
            #expect(adopted.pid == running.pid)
            #expect(try await again.listPodSandboxes().map(\.id) == [sandboxID])
            let stats = try await again.containerStats(id: id)
            #expect(stats.memoryUsageBytes > 0)
            #expect(stats.memoryWorkingSetBytes <= stats.memoryUsageBytes)

            try await again.updateContainerResources(id: id, resources: .init(memoryLimitInBytes: 48 << 20))
            let limitFile = "/sys/fs/cgroup/memory" + sandbox.cgroupParent + "/" + id + "/memory.limit_in_bytes"
            #expect(try String(contentsOfFile: limitFile, encoding: .utf8) == "\(48 << 20)\n")

            let clock = ContinuousClock()
            let started = clock.now
            let slow = try await again.execSync(id: id, command: ["sleep", "5"], timeout: .milliseconds(300))
            #expect(slow.timedOut)
            #expect(clock.now - started < .seconds(3))
        }
    }

    @Test func stopSendsSIGTERMFirst() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let script = "trap 'echo bye; exit 7' TERM; echo ready; while true; do sleep 0.1; done"
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: container("trap", ["sh", "-c", script]), sandboxConfig: sandbox)
            try await runtime.startContainer(id: id)
            // Wait until the trap is installed.
            let logPath = try await runtime.containerStatus(id: id).logPath
            for _ in 0..<100 where !((try? String(contentsOfFile: logPath, encoding: .utf8))?.contains("ready") ?? false) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let clock = ContinuousClock()
            let started = clock.now
            try await runtime.stopContainer(id: id, gracePeriod: .seconds(20))
            #expect(clock.now - started < .seconds(5))
            let status = try await runtime.containerStatus(id: id)
            #expect(status.exitCode == 7)
            #expect(try String(contentsOfFile: logPath, encoding: .utf8).contains("stdout F bye"))
        }
    }

    @Test func streamingExecRelaysStdin() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await runtime.createContainer(sandboxID: sandboxID, config: container("cat", ["sleep", "60"]), sandboxConfig: sandbox)
            try await runtime.startContainer(id: id)
            let (input, feed) = AsyncStream<[UInt8]>.makeStream()
            let collected = Collected()
            feed.yield(Array("abc\n".utf8))
            feed.finish()
            let code = try await runtime.exec(id: id, command: ["sh", "-c", "cat; echo err >&2; exit 4"], tty: false,
                                              io: StreamIO(stdin: input, stdout: { await collected.add("out", $0) },
                                                           stderr: { await collected.add("err", $0) }))
            #expect(code == 4)
            #expect(await collected.text == ["out": "abc\n", "err": "err\n"])
        }
    }
}

actor Collected {
    var text: [String: String] = [:]
    func add(_ key: String, _ bytes: [UInt8]) { text[key, default: ""] += String(decoding: bytes, as: UTF8.self) }
}
