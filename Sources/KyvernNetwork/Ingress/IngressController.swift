import Foundation
import KyvernAPI
package import KyvernClient
package import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// The built-in Ingress controller of one node: creates the default IngressClass `kyvern`,
/// watches Ingresses, IngressClasses, Services, EndpointSlices and Secrets, and serves what they
/// describe on the node's HTTP and HTTPS ports.
///
/// Events only mark the state dirty; one loop rebuilds the snapshot at most every
/// `minSyncInterval` and swaps it in whole, so open connections carry on through any change.
/// Every node runs one; each holds a Lease naming its address (see ``IngressInstances``), and
/// the first live one by node name writes all their addresses to `status.loadBalancer.ingress`.
public final class IngressController: Service, Sendable {
    package struct Settings: Sendable {
        package var httpPort: Int
        package var httpsPort: Int
        package var bindAddress = "0.0.0.0"
        package var nodeName: String
        /// Published in this instance's Lease, so the status lists it; nil: the Node's InternalIP.
        package var nodeAddress: String?
        /// Served when no Ingress's Secret names the client's host.
        package var defaultCertificatePEM: [UInt8]?
        package var defaultKeyPEM: [UInt8]?
        package var minSyncInterval: Duration = .milliseconds(50)
        package var resyncInterval: Duration = .seconds(30)
        /// How often this instance renews its Lease (a third of its duration, as kubelets do).
        package var renewInterval: Duration = .seconds(10)

        package init(httpPort: Int, httpsPort: Int, nodeName: String) {
            self.httpPort = httpPort
            self.httpsPort = httpsPort
            self.nodeName = nodeName
        }
    }

    let client: any KubernetesClient
    let settings: Settings
    let informers: SharedInformerFactory
    let logger: Logger
    package let store = IngressSnapshotStore()
    private let dirty = Mutex(true)
    private let stopping = Mutex(false)
    /// TLS contexts by Secret and resourceVersion, reused while the Secret is unchanged.
    private let contexts = Mutex<[IngressConfiguration.SecretKey: (version: String, context: NIOSSLContext)]>([:])
    private let address = Mutex<String?>(nil)
    private let instances = Mutex(IngressInstances())
    let metrics: IngressMetrics

    package init(client: any KubernetesClient, settings: Settings, logger: Logger, metrics: IngressMetrics = .disabled,
                 informers: SharedInformerFactory? = nil) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.informers = informers ?? SharedInformerFactory(client: client, logger: logger)
        address.withLock { $0 = settings.nodeAddress }
    }

    /// The listeners' local addresses once bound (tests bind port 0).
    let boundPorts = Mutex<[Int]>([])

    public func run() async throws {
        var defaultContext: NIOSSLContext?
        if let certificate = settings.defaultCertificatePEM, let key = settings.defaultKeyPEM {
            do {
                defaultContext = try IngressTLSContexts.context(certificatePEM: certificate, keyPEM: key)
            } catch {
                logger.error("ingress default certificate unusable", metadata: ["error": "\(error)"])
            }
        }
        store.replace(IngressSnapshot(defaultTLSContext: defaultContext))
        let group = MultiThreadedEventLoopGroup.singleton
        var listeners: [any Channel] = []
        for (port, secure) in [(settings.httpPort, false), (settings.httpsPort, true)] where port >= 0 {
            do {
                let channel = secure
                    ? try await IngressListener.bindHTTPS(host: settings.bindAddress, port: port, store: store, metrics: metrics, group: group)
                    : try await IngressListener.bindHTTP(host: settings.bindAddress, port: port, store: store, metrics: metrics, group: group)
                listeners.append(channel)
                boundPorts.withLock { $0.append(channel.localAddress?.port ?? port) }
            } catch {
                logger.error("ingress cannot listen", metadata: ["port": "\(port)", "error": "\(error)"])
            }
        }
        logger.info("ingress controller starting", metadata: [
            "http": "\(settings.httpPort)", "https": "\(settings.httpsPort)", "node": "\(settings.nodeName)",
        ])
        let sources: [ResourceRef] = [.ingresses, .ingressClasses, .services, .endpointSlices, .secrets]
        var listers: [Lister] = []
        var all: [Informer] = []
        for source in sources {
            let informer = await informers.informer(for: source)
            await informer.addHandler { [self] event in markDirty(event) }
            all.append(informer)
            listers.append(informer.lister)
        }
        let leases = await informers.informer(for: .leases, namespace: IngressInstances.namespace)
        await leases.addHandler { [self] event in
            if event.object.labels[IngressInstances.instanceLabel] != nil { markDirty(event) }
        }
        all.append(leases)
        listers.append(leases.lister)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await self.informers.run() }
                await self.ensureClass()
                for informer in all { await informer.waitForSync() }
                await self.syncLoop(listers: listers, defaultContext: defaultContext)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
        }
        for listener in listeners { try? await listener.close() }
        await releaseLease()
        logger.info("ingress controller stopped")
    }

    private func markDirty(_ event: InformerEvent) {
        if case .updated(let old, let new) = event, old == new { return }
        dirty.withLock { $0 = true }
    }

    /// Creates the built-in default class unless it exists; retried until it does.
    private func ensureClass() async {
        while !Task.isCancelled && !stopping.withLock({ $0 }) {
            do {
                _ = try await client.create(.ingressClasses, IngressClassSelection.builtinClass)
                logger.info("ingress class created", metadata: ["ingressClass": "\(IngressClassSelection.className)"])
                return
            } catch let error as APIError where error.code == 409 {
                return
            } catch {
                logger.warning("ingress class not created yet", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func syncLoop(listers: [Lister], defaultContext: NIOSSLContext?) async {
        let clock = ContinuousClock()
        var nextResync = clock.now
        var nextRenew = clock.now
        while !Task.isCancelled && !stopping.withLock({ $0 }) {
            if clock.now >= nextRenew {
                await renewLease()
                nextRenew = clock.now + settings.renewInterval
                dirty.withLock { $0 = true }   // a peer's Lease may have run out meanwhile
            }
            let wanted = dirty.withLock { value in defer { value = false }; return value }
            if wanted || clock.now >= nextResync {
                await sync(listers: listers, defaultContext: defaultContext)
                nextResync = clock.now + settings.resyncInterval
            }
            try? await Task.sleep(for: settings.minSyncInterval)
        }
    }

    func sync(listers: [Lister], defaultContext: NIOSSLContext?) async {
        let start = ContinuousClock.now
        let ingresses = await listers[0].list()
        let selection = IngressClassSelection(classes: await listers[1].list())
        let configuration = IngressConfiguration.build(ingresses: ingresses, selection: selection,
                                                       services: await listers[2].list(), slices: await listers[3].list())
        var tls: [IngressConfiguration.SecretKey: NIOSSLContext] = [:]
        for key in configuration.secrets {
            guard let secret = await listers[4].get(namespace: key.namespace, name: key.name) else { continue }
            let version = secret.resourceVersion ?? ""
            if let cached = contexts.withLock({ $0[key] }), cached.version == version {
                tls[key] = cached.context
            } else if let context = IngressTLSContexts.context(secret: secret) {
                contexts.withLock { $0[key] = (version, context) }
                tls[key] = context
            } else {
                logger.warning("ingress TLS secret unusable", metadata: ["secret": "\(key)"])
            }
        }
        store.replace(IngressSnapshot(configuration: configuration, tlsContexts: tls, defaultTLSContext: defaultContext))
        logger.debug("ingress synced", metadata: [
            "ingresses": "\(configuration.served.count)", "backends": "\(configuration.endpoints.count)",
            "duration": "\(ContinuousClock.now - start)",
        ])
        let leases = await listers[5].list()
        let members = instances.withLock { $0.observe(leases, now: .now) }
        await writeStatus(ingresses: ingresses.filter { selection.serves($0) && $0.deletionTimestamp == nil }, members: members)
    }

    /// Sets `status.loadBalancer.ingress` to every live instance's address where it differs,
    /// when this instance is the one that writes.
    private func writeStatus(ingresses: [JSONValue], members: [IngressInstances.Member]) async {
        guard IngressInstances.isWriter(node: settings.nodeName, members: members) else { return }
        let wanted = IngressInstances.statusIngress(members)
        for ingress in ingresses where ingress[path: ["status", "loadBalancer", "ingress"]] != wanted {
            var updated = ingress
            updated[path: ["status", "loadBalancer", "ingress"]] = wanted
            do {
                _ = try await client.updateStatus(.ingresses, namespace: ingress.namespace, updated)
            } catch {
                logger.warning("ingress status not written", metadata: [
                    "namespace": "\(ingress.namespace ?? "")", "name": "\(ingress.name ?? "")", "error": "\(error)",
                ])
                dirty.withLock { $0 = true }
            }
        }
    }

    /// Creates or renews this instance's Lease; a failure is retried at the next renewal.
    private func renewLease() async {
        guard let address = await nodeAddress() else { return }
        let name = IngressInstances.leaseName(node: settings.nodeName)
        do {
            let existing: JSONValue?
            do {
                existing = try await client.get(.leases, namespace: IngressInstances.namespace, name: name)
            } catch let error as APIError where error.code == 404 {
                existing = nil
            }
            let lease = IngressInstances.lease(node: settings.nodeName, address: address, now: Date(), existing: existing)
            if existing == nil {
                _ = try await client.create(.leases, namespace: IngressInstances.namespace, lease)
            } else {
                _ = try await client.update(.leases, namespace: IngressInstances.namespace, lease)
            }
        } catch {
            logger.warning("ingress lease not renewed", metadata: ["lease": "\(name)", "error": "\(error)"])
        }
    }

    /// Deletes this instance's Lease on shutdown, so the writer drops this node's address at once.
    private func releaseLease() async {
        let name = IngressInstances.leaseName(node: settings.nodeName)
        do {
            _ = try await client.delete(.leases, namespace: IngressInstances.namespace, name: name)
        } catch let error as APIError where error.code == 404 {
        } catch {
            logger.warning("ingress lease not released", metadata: ["lease": "\(name)", "error": "\(error)"])
        }
    }

    private func nodeAddress() async -> String? {
        if let known = address.withLock({ $0 }) { return known }
        guard let node = try? await client.get(.nodes, name: settings.nodeName) else { return nil }
        let addresses = node[path: ["status", "addresses"]]?.arrayValue ?? []
        let found = addresses.first { $0["type"]?.stringValue == "InternalIP" }?["address"]?.stringValue
            ?? addresses.first { $0["type"]?.stringValue == "ExternalIP" }?["address"]?.stringValue
        address.withLock { $0 = found }
        return found
    }
}
