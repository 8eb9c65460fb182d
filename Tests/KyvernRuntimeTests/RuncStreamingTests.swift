import Foundation
import Testing
@testable import KyvernRuntime

/// attach, terminal exec and port forwarding on real containers; only as root with runc.
@Suite(.serialized, .enabled(if: RuncTestEnvironment.available))
struct RuncStreamingTests {
    @Test func attachRelaysStdinAndOutput() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await startContainer(runtime, sandboxID, sandbox, ContainerConfig(metadata: .init(name: "cat"), image: "busybox", command: ["cat"], logPath: "cat/0.log",
                                         stdin: true, stdinOnce: true))
            let (input, feed) = AsyncStream<[UInt8]>.makeStream()
            let collected = Collected()
            let attach = Task {
                try await runtime.attach(id: id, tty: false, io: StreamIO(stdin: input, stdout: { await collected.add("out", $0) }))
            }
            feed.yield(Array("hi there\n".utf8))
            for _ in 0..<200 where await collected.text["out"] == nil { try await Task.sleep(for: .milliseconds(10)) }
            feed.finish()
            // stdinOnce: closing stdin ends cat, the container and the attach session.
            try await attach.value
            #expect(await collected.text["out"] == "hi there\n")
            let status = try await waitForExit(runtime, id)
            #expect(status.exitCode == 0)
            #expect(try String(contentsOfFile: status.logPath, encoding: .utf8).hasSuffix(" stdout F hi there\n"))
        }
    }

    @Test func terminalExecGetsAPty() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await startContainer(runtime, sandboxID, sandbox, ContainerConfig(metadata: .init(name: "s"), image: "busybox", command: ["sleep", "60"], logPath: "s/0.log"))
            let collected = Collected()
            let (resize, resizes) = AsyncStream<TerminalSize>.makeStream()
            resizes.yield(TerminalSize(width: 123, height: 45))
            let (input, feed) = AsyncStream<[UInt8]>.makeStream()
            feed.yield(Array("sleep 0.2; tty; stty size; exit 5\n".utf8))
            let code = try await runtime.exec(id: id, command: ["sh"], tty: true,
                                              io: StreamIO(stdin: input, stdout: { await collected.add("out", $0) }, resize: resize))
            feed.finish()
            resizes.finish()
            #expect(code == 5)
            let output = await collected.text["out"] ?? ""
            // A terminal turns "\n" into "\r\n"; how many "\r" busybox's line editor adds around its
            // own redraws (it may query the cursor first) varies, so the lines are read without them.
            #expect(output.contains("\r\n"), "exec output: \(String(reflecting: output))")
            let lines = output.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
            #expect(lines.contains("/dev/pts/0"), "exec output: \(String(reflecting: output))")
            #expect(lines.contains("45 123"), "exec output: \(String(reflecting: output))")
        }
    }

    @Test func terminalExecStartsWithTheClientsFirstSize() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await startContainer(runtime, sandboxID, sandbox, ContainerConfig(metadata: .init(name: "s"), image: "busybox", command: ["sleep", "60"], logPath: "s/0.log"))
            let collected = Collected()
            let (resize, resizes) = AsyncStream<TerminalSize>.makeStream()
            // The size arrives a little after the session starts, as over the network.
            let late = Task {
                try? await Task.sleep(for: .milliseconds(400))
                resizes.yield(TerminalSize(width: 34, height: 12))
            }
            // runc sizes the container's terminal from ours just after it starts the command, so the
            // command reads the size a little later (a command reading it at once can win that race on
            // a loaded machine) — but before the size could have arrived as a later resize: only a
            // session that waited for the first size before starting sees it.
            let code = try await runtime.exec(id: id, command: ["sh", "-c", "sleep 0.25; stty size"], tty: true,
                                              io: StreamIO(stdout: { await collected.add("out", $0) }, resize: resize))
            await late.value
            resizes.finish()
            #expect(code == 0)
            let output = await collected.text["out"]
            #expect(output == "12 34\r\n", "exec output: \(String(reflecting: output))")
        }
    }

    @Test func attachToATerminalContainerResizesIt() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await startContainer(runtime, sandboxID, sandbox, ContainerConfig(metadata: .init(name: "t"), image: "busybox", command: ["sh"], logPath: "t/0.log",
                                         stdin: true, tty: true))
            let collected = Collected()
            let (resize, resizes) = AsyncStream<TerminalSize>.makeStream()
            resizes.yield(TerminalSize(width: 98, height: 21))
            let (input, feed) = AsyncStream<[UInt8]>.makeStream()
            let attach = Task {
                try await runtime.attach(id: id, tty: true,
                                         io: StreamIO(stdin: input, stdout: { await collected.add("out", $0) }, resize: resize))
            }
            feed.yield(Array("sleep 0.2; stty size; exit 0\n".utf8))
            try await attach.value
            feed.finish()
            resizes.finish()
            #expect((await collected.text["out"] ?? "").contains("21 98\r\n"))
            #expect(try await waitForExit(runtime, id).exitCode == 0)
        }
    }

    @Test func portForwardReachesTheSandboxLoopback() async throws {
        try await withSandbox { runtime, sandboxID, sandbox, _ in
            let id = try await startContainer(runtime, sandboxID, sandbox, ContainerConfig(metadata: .init(name: "nc"), image: "busybox", command: ["sh", "-c", "nc -l -p 8080 -e sh -c 'cat; echo served >&2'"],
                                         logPath: "nc/0.log"))
            let collected = Collected()
            var connected = false
            for _ in 0..<100 where !connected {
                let (incoming, feed) = AsyncStream<[UInt8]>.makeStream()
                feed.yield(Array("ping\n".utf8))
                feed.finish()
                do {
                    try await runtime.portForward(sandboxID: sandboxID, port: 8080,
                                                  io: ByteStream(incoming: incoming, outgoing: { await collected.add("out", $0) }))
                    connected = true
                } catch {
                    try await Task.sleep(for: .milliseconds(20))  // not listening yet
                }
            }
            #expect(connected)
            // cat echoes what came in; the container ends when the connection closes.
            #expect(await collected.text["out"] == "ping\n")
            let status = try await waitForExit(runtime, id)
            #expect(status.exitCode == 0)
            #expect(try String(contentsOfFile: status.logPath, encoding: .utf8).contains("stderr F served"))
        }
    }
}

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: RuncTestEnvironment.kyvernBinary)))
struct ProcessRuntimeTests {
    @Test func plainProcessesLogExitAndExec() async throws {
        let root = NSTemporaryDirectory() + "kyvern-process-test-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let runtime = try ProcessRuntime(stateDirectory: root + "/state", layerSource: BusyboxLayerSource.shared!,
                                         shimExecutable: RuncTestEnvironment.kyvernBinary)
        let sandbox = PodSandboxConfig(metadata: .init(name: "p", namespace: "default", uid: "p1"), hostname: "p",
                                       logDirectory: root + "/logs", cgroupParent: "")
        let sandboxID = try await runtime.runPodSandbox(sandbox)
        do {
            let id = try await startContainer(runtime, sandboxID, sandbox, ContainerConfig(metadata: .init(name: "c"), image: "busybox", command: ["sh", "-c", "echo $FOO; exec sleep 30"],
                                         env: [.init(name: "FOO", value: "bar")], logPath: "c/0.log"))
            let running = try await runtime.containerStatus(id: id)
            #expect(running.state == .running)
            let echo = try await runtime.execSync(id: id, command: ["sh", "-c", "echo $FOO"], timeout: .seconds(5))
            #expect(String(decoding: echo.stdout, as: UTF8.self) == "bar\n")
            // A new instance adopts the running process.
            let again = try ProcessRuntime(stateDirectory: root + "/state", layerSource: BusyboxLayerSource.shared!,
                                           shimExecutable: RuncTestEnvironment.kyvernBinary)
            #expect(try await again.containerStatus(id: id).pid == running.pid)
            try await again.stopContainer(id: id, gracePeriod: .seconds(5))
            let stopped = try await again.containerStatus(id: id)
            #expect(stopped.exitCode == 143)
            #expect(try String(contentsOfFile: stopped.logPath, encoding: .utf8).hasSuffix(" stdout F bar\n"))
        } catch {
            try? await runtime.removePodSandbox(id: sandboxID)
            throw error
        }
        try await runtime.removePodSandbox(id: sandboxID)
        #expect(try await runtime.listPodSandboxes().isEmpty)
    }

    @Test func procStatParsing() {
        let usage = ProcessUsage.parse(stat: "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 5 1000 200",
                                       statm: "1000 200 100 1 0 50 0", ticksPerSecond: 100, pageSize: 4096)
        #expect(usage?.cpuNanoseconds == 2_000_000_000)
        #expect(usage?.residentBytes == 200 * 4096)
    }
}
