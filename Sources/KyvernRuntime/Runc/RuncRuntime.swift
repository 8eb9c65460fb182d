#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
public import Logging

/// The default `ContainerRuntime`: one OCI bundle per container on an overlayfs root, run by runc
/// under a per-container shim, each pod in its own network namespace and cgroup parent.
///
/// Everything it knows is on disk under `stateDirectory`, so an agent that restarts finds its
/// sandboxes and running containers again and adopts them.
public actor RuncRuntime: ContainerRuntime {
    let store: ContainerStateStore
    let layers: any ImageLayerSource
    let network: (any PodNetworkPlugin)?
    let runcPath: String
    let runcRoot: String
    let launcher: ShimLauncher
    let cgroups = CgroupV1()
    let logger: Logger
    /// Its own thread: bundles, overlay mounts, cgroups and records are blocking system calls.
    private nonisolated let executor = BlockingWorkExecutor.next()
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// - Parameters:
    ///   - stateDirectory: where sandboxes, bundles and records live (e.g. `DATA/agent/runtime`).
    ///   - layerSource: the image store's unpacked layers.
    ///   - network: networks each sandbox after its namespace is made; nil gives loopback only.
    ///   - shimExecutable: the kyvern binary that has the `runtime-shim` subcommand; defaults to this one.
    public init(stateDirectory: String, layerSource: any ImageLayerSource, network: (any PodNetworkPlugin)? = nil,
                runcPath: String = "runc", shimExecutable: String? = nil, logger: Logger = Logger(label: "kyvern.runtime.runc")) throws {
        self.store = try ContainerStateStore(root: stateDirectory)
        self.layers = layerSource
        self.network = network
        self.runcPath = runcPath
        self.runcRoot = stateDirectory + "/runc"
        self.launcher = ShimLauncher(executable: shimExecutable ?? ShimLauncher.currentExecutable())
        self.logger = logger
        try FileSystem.makeDirectory(runcRoot, mode: 0o700)
        // A client that goes away mid-exec must cost a failed write, not the agent.
        signal(SIGPIPE, SIG_IGN)
    }

    public func version() async throws -> RuntimeVersion {
        let output = try await CommandRunner.check([runcPath, "--version"])
        return Self.parseVersion(output.stdoutString)
    }

    /// `runc version 1.1.5+ds1` and `spec: 1.0.2-dev` lines of `runc --version`.
    static func parseVersion(_ text: String) -> RuntimeVersion {
        var version = "unknown"
        var spec = "unknown"
        for line in text.split(separator: "\n") {
            if line.hasPrefix("runc version ") { version = String(line.dropFirst("runc version ".count)) }
            if line.hasPrefix("spec: ") { spec = String(line.dropFirst("spec: ".count)) }
        }
        return RuntimeVersion(runtimeName: "runc", runtimeVersion: version, runtimeAPIVersion: spec)
    }

    func runc(_ arguments: [String]) -> [String] {
        [runcPath, "--root", runcRoot] + arguments
    }
}
