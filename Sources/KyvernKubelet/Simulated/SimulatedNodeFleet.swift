import Foundation
public import KyvernClient
public import Logging
public import Prometheus
public import ServiceLifecycle

/// N simulated nodes behaving, as seen through the API, like N kubelets: registered and Ready,
/// Leases renewed, heartbeats sent, pods bound to them reported Running and their deletions
/// completed — without running any container. For exercising schedulers and controllers at scale.
///
/// One process holds all N: one watch on pods serves every node, and every loop keeps a bound on
/// requests in flight, so thousands of nodes cost the server what thousands of kubelets would and
/// the agent little. On graceful shutdown the nodes stay registered, as a stopped kubelet's would
/// (their Leases then expire).
public struct SimulatedNodeFleet: Service {
    let client: any KubernetesClient
    let config: SimulatedNodeConfig
    let logger: Logger
    let metrics: FleetMetrics
    /// Node index by name: the pod filter, O(1) per event.
    let indexByName: [String: Int]

    public init(client: any KubernetesClient, config: SimulatedNodeConfig,
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                logger: Logger = Logger(label: "kyvern.agent")) {
        self.client = client
        self.config = config
        self.logger = logger
        self.metrics = FleetMetrics(registry: registry)
        var indexByName: [String: Int] = [:]
        indexByName.reserveCapacity(config.count)
        for index in 0..<config.count { indexByName[config.nodeName(index)] = index }
        self.indexByName = indexByName
    }

    public func run() async throws {
        try config.validate()
        do {
            try await cancelWhenGracefulShutdown {
                let uids = try await registerNodes()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await keepLeasesFresh(nodeUIDs: uids) }
                    group.addTask { try await keepStatusFresh() }
                    group.addTask { try await syncPods() }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            // A graceful shutdown cancels the loops; whatever they throw then is no failure.
            guard Task.isCancelled || Task.isShuttingDownGracefully else { throw error }
        }
        logger.info("simulated node agent stopped; the nodes remain registered", metadata: ["nodes": "\(config.count)"])
    }
}
