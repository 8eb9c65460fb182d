import AsyncHTTPClient
import NIOSSL
import Foundation
public import KyvernAPI
public import KyvernClient
public import KyvernRuntime
public import Logging
public import Prometheus
public import ServiceLifecycle

/// The node agent: registers this machine as a Node, keeps its Lease and status fresh, and runs
/// the pods bound to it as real containers through a ``ContainerRuntime`` — pod workers,
/// probes, restarts, graceful termination, status and events — reaching the cluster only
/// through the client.
///
/// On graceful shutdown the agent stops its loops but leaves containers running: the next agent
/// adopts them, as a restarted kubelet does.
public struct NodeAgent: Service {
    let client: any KubernetesClient
    let runtime: any ContainerRuntime
    let images: any ImageService
    let volumes: any PodVolumeManaging
    let environment: any ContainerEnvironmentResolving
    let nodeName: String
    let dataDirectory: String
    let kubeletPort: Int
    let metrics: AgentMetrics
    let logger: Logger
    let clock: any AgentClock
    /// Name servers for dnsPolicy ClusterFirst (the cluster DNS Service), and the cluster domain.
    public var clusterDNS: [String] = []
    public var clusterDomain = "cluster.local"
    /// The node's InternalIP when given (`--node-ip`); otherwise the first non-loopback address.
    public var nodeIP: String?
    /// This node's pod range when given by hand (`--pod-cidr`), registered with the Node.
    public var podCIDR: String?
    public var kubeletVersion = "v1.36.0"
    /// How often every pod worker re-reads its containers.
    public var relistInterval: Duration = .seconds(1)

    public init(client: any KubernetesClient, runtime: any ContainerRuntime, images: any ImageService,
                volumes: any PodVolumeManaging, environment: any ContainerEnvironmentResolving, nodeName: String,
                dataDirectory: String, kubeletPort: Int = 10250,
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                logger: Logger = Logger(label: "kyvern.agent"), clock: any AgentClock = SystemAgentClock()) {
        self.client = client
        self.runtime = runtime
        self.images = images
        self.volumes = volumes
        self.environment = environment
        self.nodeName = nodeName
        self.dataDirectory = dataDirectory
        self.kubeletPort = kubeletPort
        self.metrics = AgentMetrics(registry: registry)
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.probeHTTPConfiguration)
        do {
            try await cancelWhenGracefulShutdown { try await runAgent(http: http) }
        } catch {
            try? await http.shutdown()
            guard Task.isCancelled || Task.isShuttingDownGracefully else { throw error }
            logger.info("node agent stopped; containers keep running", metadata: ["node": "\(nodeName)"])
            return
        }
        try? await http.shutdown()
    }

    /// Probes do not verify TLS and follow redirects, as upstream's prober.
    static var probeHTTPConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = .makeClientConfiguration()
        configuration.tlsConfiguration?.certificateVerification = .none
        configuration.redirectConfiguration = .follow(max: 10, allowCycles: false)
        return configuration
    }

    func runAgent(http: HTTPClient) async throws {
        var machine = MachineReader.read(dataDirectory: dataDirectory, nodeName: nodeName)
        if let nodeIP { machine.internalIP = nodeIP }
        let version = try await Retry.run(attempts: nil, logger: logger, "reading the runtime version") {
            try await runtime.version()
        }
        var builder = NodeObjectBuilder(nodeName: nodeName, machine: machine, runtimeVersion: version.nodeInfoString,
                                        kubeletVersion: kubeletVersion, kubeletPort: kubeletPort)
        builder.podCIDR = podCIDR
        let dataDirectory = dataDirectory
        let reporter = NodeStatusReporter(client: client, runtime: runtime, builder: builder, clock: clock, logger: logger,
                                          readings: { NodeReadings.sample(dataDirectory: dataDirectory) },
                                          volumesInUse: { [volumes] in await volumes.volumesInUse() })
        try await reporter.register()

        let events = PodEventRecorder(client: client, nodeName: nodeName, clock: clock, logger: logger)
        let minor = kubeletVersion.split(separator: ".").prefix(2).joined(separator: ".").dropFirst()
        let prober = Prober(runtime: runtime, http: http, userAgent: "kube-probe/\(minor)")
        let probes = ProbeManager(prober: prober, clock: clock, events: events, metrics: metrics, logger: logger)
        let hostDNS = SandboxConfigBuilder.parseResolvConf(MachineReader.readFile("/etc/resolv.conf") ?? "")
        let context = PodContext(
            client: client, runtime: runtime, images: images, volumes: volumes, environment: environment, events: events,
            probes: probes, prober: prober, clock: clock,
            sandboxes: SandboxConfigBuilder(logRoot: dataDirectory + "/agent/logs", clusterDNS: clusterDNS,
                                            clusterDomain: clusterDomain, hostDNS: hostDNS, nodeName: nodeName),
            nodeName: nodeName, nodeIP: machine.internalIP, runtimeName: version.runtimeName, metrics: metrics, logger: logger)
        let workers = PodWorkers(context: context)
        let informer = Informer(client: client, resource: .pods, fieldSelector: "spec.nodeName=\(nodeName)", logger: logger)
        await informer.addHandler { event in
            switch event {
            case .added(let pod), .updated(_, let pod): await workers.update(pod)
            case .deleted(let pod): await workers.remove(pod)
            }
        }
        // Pod workers and probes stop with the agent (their containers keep running).
        do {
            try await runLoops(informer: informer, reporter: reporter, workers: workers, events: events)
        } catch {
            await workers.stopAll()
            await probes.removeAll()
            throw error
        }
        await workers.stopAll()
        await probes.removeAll()
    }

    private func runLoops(informer: Informer, reporter: NodeStatusReporter, workers: PodWorkers,
                          events: PodEventRecorder) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await events.run() }
            group.addTask { await workers.run() }
            group.addTask { try await informer.run() }
            group.addTask { try await reporter.leaseLoop() }
            group.addTask { try await reporter.statusLoop() }
            group.addTask { try await watchContainerEvents(workers: workers) }
            group.addTask {
                await informer.waitForSync()
                await removeOrphans(known: informer.lister, workers: workers)
                var ticks = 0
                while true {
                    try await clock.sleep(for: relistInterval)
                    await workers.tick()
                    ticks += 1
                    if ticks % 10 == 0 { await updateGauges(workers: workers) }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Wakes a pod's worker on each container event its runtime pushes, so an exit is seen at
    /// once; the relist above stays the fallback (and the only way where the runtime pushes none).
    /// Returns only when cancelled: ``runLoops`` ends when any of its tasks does.
    func watchContainerEvents(workers: PodWorkers) async throws {
        var announced = false
        while !Task.isCancelled {
            do {
                let pushed = try await runtime.watchContainerEvents { event in
                    if let uid = event.podUID { await workers.wake(uid: uid) }
                }
                if !pushed {
                    logger.debug("the runtime pushes no container events; relisting only")
                    // Nothing to watch: wait (really, not on the agent's clock) until the loops end.
                    while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
                    return
                }
            } catch is CancellationError {
                return
            } catch {
                if !announced { logger.warning("container events interrupted; relisting meanwhile", metadata: ["error": "\(error)"]) }
                announced = true
            }
            try await clock.sleep(for: relistInterval * 5)
        }
    }

    /// Sandboxes of pods the API no longer binds to this node (deleted while the agent was down):
    /// stopped and removed with their volumes.
    func removeOrphans(known: Lister, workers: PodWorkers) async {
        do {
            let uids = Set(await known.list().compactMap { $0[path: ["metadata", "uid"]]?.stringValue })
            for sandbox in try await runtime.listPodSandboxes() {
                guard let uid = sandbox.labels[RuntimeLabels.podUID], !uids.contains(uid) else { continue }
                logger.info("removing the sandbox of a pod that is gone", metadata: ["pod": "\(uid)", "sandbox": "\(sandbox.id)"])
                try? await runtime.stopPodSandbox(id: sandbox.id)
                try? await runtime.removePodSandbox(id: sandbox.id)
                try? await volumes.tearDown(podUID: uid)
            }
        } catch {
            logger.warning("listing sandboxes for clean-up failed", metadata: ["error": "\(error)"])
        }
    }

    func updateGauges(workers: PodWorkers) async {
        guard let sandboxes = try? await runtime.listPodSandboxes(),
              let running = try? await runtime.listContainers(ContainerFilter(state: .running)) else { return }
        metrics.runningPods.record(Int64(sandboxes.filter { $0.state == .ready }.count))
        metrics.runningContainers.record(Int64(running.count))
    }
}
