import Foundation
import Testing
@testable import KyvernRuntime

/// A busybox root filesystem served as a one-layer image, for runtime integration tests.
struct BusyboxLayerSource: ImageLayerSource {
    let layer: String

    static let shared: BusyboxLayerSource? = try? make()
    static let root = NSTemporaryDirectory() + "kyvern-busybox-\(getpid())"

    static func make() throws -> BusyboxLayerSource {
        atexit { try? FileManager.default.removeItem(atPath: BusyboxLayerSource.root) }
        let layer = root + "/layer"
        for directory in ["bin", "etc", "proc", "sys", "dev", "tmp", "root"] {
            try FileManager.default.createDirectory(atPath: layer + "/" + directory, withIntermediateDirectories: true)
        }
        if !FileManager.default.fileExists(atPath: layer + "/bin/busybox") {
            try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: layer + "/bin/busybox")
        }
        let list = Process()
        list.executableURL = URL(fileURLWithPath: "/bin/busybox")
        list.arguments = ["--list"]
        let pipe = Pipe()
        list.standardOutput = pipe
        try list.run()
        let names = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        list.waitUntilExit()
        for name in names where name != "busybox" {
            try? FileManager.default.createSymbolicLink(atPath: layer + "/bin/" + name, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n".write(toFile: layer + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: layer + "/etc/group", atomically: true, encoding: .utf8)
        return BusyboxLayerSource(layer: layer)
    }

    func layerDirectories(for reference: String) async throws -> (info: ImageInfo, layers: [String]) {
        guard reference == "busybox" else { throw RuntimeError.imageNotFound(reference) }
        let info = ImageInfo(id: "sha256:" + String(repeating: "b", count: 64), repoTags: ["busybox"], repoDigests: [], size: 0,
                             config: .init(cmd: ["sh"], env: ["PATH=/bin"]))
        return (info, [layer])
    }
}

enum RuncTestEnvironment {
    /// The kyvern binary beside the test bundle (it carries the shim subcommand).
    static var kyvernBinary: String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // The bundle runs from .build/<triple>/debug/<X>.xctest or beside it.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("kyvern").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        // Else the package's own debug build: <package>/Tests/KyvernRuntimeTests/<this file>.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug/kyvern").path
    }

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc")
            && FileManager.default.isExecutableFile(atPath: kyvernBinary) && BusyboxLayerSource.shared != nil
    }
}

/// One runtime on a fresh state directory with one sandbox; everything is removed afterwards,
/// also when the body throws.
func withSandbox(network: (any PodNetworkPlugin)? = nil, resources: LinuxResources? = nil,
                 _ body: (RuncRuntime, String, PodSandboxConfig, String) async throws -> Void) async throws {
    let root = NSTemporaryDirectory() + "kyvern-runc-test-" + UUID().uuidString.prefix(8)
    let short = String(UUID().uuidString.prefix(8)).lowercased()
    let config = PodSandboxConfig(metadata: .init(name: "t-\(short)", namespace: "default", uid: short), hostname: "t-\(short)",
                                  logDirectory: root + "/logs", cgroupParent: "/kyvern-test-\(short)", resources: resources)
    let runtime = try RuncRuntime(stateDirectory: root + "/state", layerSource: BusyboxLayerSource.shared!, network: network,
                                  shimExecutable: RuncTestEnvironment.kyvernBinary)
    var sandboxID: String? = nil
    do {
        sandboxID = try await runtime.runPodSandbox(config)
        try await body(runtime, sandboxID!, config, root)
    } catch {
        if let sandboxID { try? await runtime.removePodSandbox(id: sandboxID) }
        try? FileManager.default.removeItem(atPath: root)
        throw error
    }
    if let sandboxID { try await runtime.removePodSandbox(id: sandboxID) }
    try? FileManager.default.removeItem(atPath: root)
}

/// Creates and starts one container in the sandbox; returns its ID.
func startContainer(_ runtime: some ContainerRuntime, _ sandboxID: String, _ sandbox: PodSandboxConfig,
                    _ config: ContainerConfig) async throws -> String {
    let id = try await runtime.createContainer(sandboxID: sandboxID, config: config, sandboxConfig: sandbox)
    try await runtime.startContainer(id: id)
    return id
}

/// Polls until the container has exited (bounded).
func waitForExit(_ runtime: RuncRuntime, _ id: String, within limit: Duration = .seconds(10)) async throws -> ContainerStatus {
    let deadline = ContinuousClock.now + limit
    while true {
        let status = try await runtime.containerStatus(id: id)
        if status.state == .exited || ContinuousClock.now > deadline { return status }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Records what the runtime asks of its network plugin and hands out a fixed address.
actor RecordingNetwork: PodNetworkPlugin {
    var calls: [String] = []

    func setUp(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws -> [String] {
        calls.append("setUp \(FileManager.default.fileExists(atPath: networkNamespacePath))")
        return ["10.1.2.3"]
    }

    func tearDown(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws {
        calls.append("tearDown \(FileManager.default.fileExists(atPath: networkNamespacePath))")
    }
}
