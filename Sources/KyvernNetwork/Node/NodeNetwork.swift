import Foundation
import KyvernAPI
public import KyvernClient
public import Logging
public import ServiceLifecycle

/// What the node's network services (proxy, DNS) need to know once the network is set up.
public struct NodeNetworkFacts: Sendable {
    public var nodeName: String
    public var podRange: IPv4Network
    /// The bridge's address: where the node's DNS server listens.
    public var bridgeAddress: String
    public var serviceRange: IPv4Network?
}

/// How the node's network is set up.
public struct NodeNetworkConfiguration: Sendable {
    public var nodeName: String
    /// `--pod-cidr`: this node's range given by hand; otherwise the Node's `spec.podCIDR`.
    public var podCIDR: String?
    public var serviceCIDR: String?
    public var bridge = "kyvern0"
    /// The cluster DNS Service's address; nil runs no DNS.
    public var clusterDNS: String?
    /// How often the routes to other nodes and the DNS endpoint are re-asserted.
    public var resyncInterval: Duration = .seconds(30)

    public init(nodeName: String, podCIDR: String? = nil, serviceCIDR: String? = nil, clusterDNS: String? = nil) {
        self.nodeName = nodeName
        self.podCIDR = podCIDR
        self.serviceCIDR = serviceCIDR
        self.clusterDNS = clusterDNS
    }
}

/// The node's side of the pod network, beside the CNI plugins that network each sandbox: learns
/// the node's pod range, makes the bridge, keeps routes to the other nodes' pod ranges, publishes
/// the node's cluster DNS endpoint, and then runs the services that need all that (the Service
/// proxy and the DNS server) as its children, so they stop with it.
public struct NodeNetwork: Service {
    let client: any KubernetesClient
    let configuration: NodeNetworkConfiguration
    public let podRange: PodCIDRSource
    let logger: Logger
    let dependents: @Sendable (NodeNetworkFacts) throws -> [any Service]

    public init(client: any KubernetesClient, configuration: NodeNetworkConfiguration, podRange: PodCIDRSource,
                logger: Logger, dependents: @escaping @Sendable (NodeNetworkFacts) throws -> [any Service] = { _ in [] }) {
        self.client = client
        self.configuration = configuration
        self.podRange = podRange
        self.logger = logger
        self.dependents = dependents
    }

    public func run() async throws {
        let nodes = Informer(client: client, resource: .nodes, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await cancelWhenGracefulShutdown { try await nodes.run() } }
            group.addTask { try await self.runNetwork(nodes: nodes) }
            try await Self.waitForAll(&group)
        }
    }

    /// Waits for every child: on a graceful shutdown each ends its own way (the proxy removes its
    /// rules first); an error from one cancels the rest.
    static func waitForAll(_ group: inout ThrowingTaskGroup<Void, any Error>) async throws {
        do {
            for try await _ in group {}
        } catch {
            group.cancelAll()
            throw error
        }
    }

    func runNetwork(nodes: Informer) async throws {
        let cidr: String
        do {
            cidr = try await cancelWhenGracefulShutdown { try await resolvePodCIDR(nodes: nodes) }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
        guard let range = IPv4Network(cidr) else { throw NodeNetworkError.invalidRange(cidr) }
        podRange.set(range.description)
        let serviceRange = configuration.serviceCIDR.flatMap(IPv4Network.init)
        try await NodeBridge.ensure(name: configuration.bridge, podRange: range, serviceRange: serviceRange)
        logger.info("node network ready", metadata: [
            "node": "\(configuration.nodeName)", "podCIDR": "\(range)", "bridge": "\(configuration.bridge)",
            "gateway": "\(range.gateway)",
        ])
        let facts = NodeNetworkFacts(nodeName: configuration.nodeName, podRange: range, bridgeAddress: range.gateway,
                                     serviceRange: serviceRange)
        let services = try dependents(facts)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            group.addTask { try? await cancelWhenGracefulShutdown { try await self.keepRoutes(nodes: nodes) } }
            if let clusterDNS = configuration.clusterDNS {
                let objects = ClusterDNSObjects(clusterIP: clusterDNS, nodeName: configuration.nodeName, address: range.gateway)
                group.addTask { try? await cancelWhenGracefulShutdown { try await self.keepDNSEndpoint(objects) } }
            }
            try await Self.waitForAll(&group)
        }
    }

    /// `--pod-cidr` (also written to the Node when it has none), else the Node's `spec.podCIDR`
    /// once the controller manager has assigned one.
    func resolvePodCIDR(nodes: Informer) async throws -> String {
        var announced = false
        while true {
            try Task.checkCancellation()
            await nodes.waitForSync()
            let node = await nodes.lister.get(name: configuration.nodeName)
            let assigned = node?[path: ["spec", "podCIDR"]]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            if let explicit = configuration.podCIDR {
                if node != nil, assigned == nil {
                    do {
                        _ = try await client.patch(.nodes, namespace: nil, name: configuration.nodeName, subresource: nil, type: .merge,
                                                   ["spec": ["podCIDR": .string(explicit), "podCIDRs": [.string(explicit)]]],
                                                   options: .init())
                    } catch {
                        logger.warning("could not record --pod-cidr on the Node", metadata: ["error": "\(error)"])
                    }
                }
                if node != nil { return explicit }
            } else if let assigned {
                return assigned
            }
            if !announced && node != nil && configuration.podCIDR == nil {
                logger.info("waiting for the Node's spec.podCIDR (assigned by the controller manager's nodeipam)",
                            metadata: ["node": "\(configuration.nodeName)"])
                announced = true
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Re-computes the routes on every Node change (debounced) and every resync interval.
    func keepRoutes(nodes: Informer) async throws {
        let (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await nodes.addHandler { _ in changed.yield() }
        changed.yield()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while true {
                    try await Task.sleep(for: configuration.resyncInterval)
                    changed.yield()
                }
            }
            group.addTask {
                for await _ in changes {
                    try await Task.sleep(for: .milliseconds(100))
                    await syncRoutes(nodes: await nodes.lister.list())
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    func syncRoutes(nodes: [JSONValue]) async {
        let desired = NodeRoutes(nodes: nodes, ownName: configuration.nodeName)
        do {
            var installed = NodeRoutes.parse(try await IPCommand.run(["-4", "route", "show", "proto", NodeRoutes.routeProtocol]))
            // The Service range's route (to the bridge, no next hop) is not a node route.
            installed.routes = installed.routes.filter { _, via in !via.isEmpty }
            for command in desired.commands(from: installed) {
                do {
                    try await IPCommand.run(command)
                    logger.info("route to a node's pods", metadata: ["command": "ip \(command.joined(separator: " "))"])
                } catch {
                    logger.warning("route change failed", metadata: ["error": "\(error)"])
                }
            }
        } catch {
            logger.warning("reading routes failed", metadata: ["error": "\(error)"])
        }
    }

    /// Creates the kube-dns Service when missing and keeps this node's EndpointSlice for it.
    func keepDNSEndpoint(_ objects: ClusterDNSObjects) async throws {
        while true {
            await ensure(.services, name: ClusterDNSObjects.serviceName, objects.service, replace: false)
            await ensure(.endpointSlices, name: objects.sliceName, objects.endpointSlice, replace: true)
            try await Task.sleep(for: configuration.resyncInterval)
        }
    }

    private func ensure(_ ref: ResourceRef, name: String, _ object: JSONValue, replace: Bool) async {
        do {
            let existing = try await client.get(ref, namespace: ClusterDNSObjects.namespace, name: name)
            guard replace else { return }
            var updated = existing
            for field in ["addressType", "endpoints", "ports"] { updated[field] = object[field] }
            updated[path: ["metadata", "labels"]] = object[path: ["metadata", "labels"]]
            if updated != existing {
                _ = try await client.update(ref, namespace: ClusterDNSObjects.namespace, updated, options: .init())
            }
        } catch let error as APIError where error.code == 404 {
            do {
                _ = try await client.create(ref, namespace: ClusterDNSObjects.namespace, object, options: .init())
                logger.info("created the cluster DNS object", metadata: ["resource": "\(ref.resource)", "name": "\(name)"])
            } catch let error as APIError where error.code == 409 {
                return
            } catch {
                logger.warning("could not create the cluster DNS object", metadata: ["name": "\(name)", "error": "\(error)"])
            }
        } catch {
            logger.warning("could not read the cluster DNS object", metadata: ["name": "\(name)", "error": "\(error)"])
        }
    }
}
