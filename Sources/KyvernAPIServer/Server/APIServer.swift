import Hummingbird
import HummingbirdHTTP2
import KyvernAPI
public import KyvernStore
public import Logging
import NIOCore
public import Prometheus
public import ServiceLifecycle

/// The Kubernetes API server: loads the watch cache from the store, keeps it fed, compacts
/// history, and serves HTTPS (HTTP/2 and HTTP/1.1) until graceful shutdown.
public struct APIServer: Service {
    let configuration: APIServerConfiguration
    let store: any Store
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let onReady: @Sendable () async -> Void

    public init(configuration: APIServerConfiguration, store: any Store, registry: PrometheusCollectorRegistry,
                logger: Logger, onReady: @escaping @Sendable () async -> Void = {}) {
        self.configuration = configuration
        self.store = store
        self.registry = registry
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let cache = WatchCache(capacity: configuration.watchCacheCapacity, logger: logger)
        let storage = ObjectStorage(store: store, cache: cache)
        let revision = try await loadCache(cache)
        try await SystemNamespaces.ensure(storage: storage)
        try await BootstrapPolicy.ensure(storage: storage)
        try await SystemPriorityClasses.ensure(storage: storage)
        let allocator = ServiceAllocator(ranges: configuration.serviceRanges, store: store)
        let advertised = KubernetesService.advertisedAddress(bindAddress: configuration.bindAddress)
        let leases = APIServerLeases(store: store)
        try await KubernetesService.ensure(storage: storage, allocator: allocator, leases: leases, address: advertised,
                                           port: configuration.port)

        let schemas = try SchemaSet.bundled()
        let openAPI = try OpenAPIDocuments.load()
        let readiness = Readiness()
        var handler = ResourceHandler(storage: storage, pruner: SchemaPruner(schemas: schemas), logger: logger,
                                      serviceRanges: configuration.serviceRanges)
        handler.defaultTolerationSeconds = configuration.defaultTolerationSeconds
        handler.mountsServiceAccountTokenVolume = configuration.serviceAccountTokenVolume
        let webhooks = WebhookDispatcher.live(cache: cache, logger: logger)
        handler.admissionWebhooks = webhooks
        handler.conversionWebhookPost = { try await webhooks.postConversion(clientConfig: $0, body: $1) }
        let authorizer = Authorizer(modes: configuration.authorizationMode,
                                    rbac: RBACAuthorizer(cache: cache, sync: { try? await storage.syncCache() }),
                                    node: NodeAuthorizer(objects: .watchCache(storage)),
                                    metrics: AuthorizationMetrics(registry: registry))
        // Static tokens first, then ServiceAccount JWTs (read against the watch cache).
        handler.tokenIssuer = configuration.serviceAccountTokenIssuer
        let serviceAccounts = configuration.serviceAccountTokenIssuer.map {
            ServiceAccountTokenAuthenticator(issuer: $0, lookup: .watchCache(storage))
        }
        let authenticators: [any TokenAuthenticator] = [configuration.authenticator] + configuration.extraTokenAuthenticators
            + (serviceAccounts.map { [$0] } ?? [])
        let authentication = RequestAuthentication(tokens: authenticators, allowAnonymous: configuration.anonymousAuth)
        let access = RequestAccess(authentication: authentication, authorizer: authorizer)
        handler.authorizer = authorizer
        let served = ServedResources(openAPI: openAPI, serverAddress: "\(configuration.bindAddress):\(configuration.port)")
        handler.served = served
        var policies = ValidatingAdmissionPolicies(cache: cache)
        policies.findKind = { served.info(apiVersion: $0, kind: $1) }
        handler.admissionPolicies = policies
        let nodeProxy = NodeProxyRoutes(storage: storage, token: configuration.nodeAgentToken, access: access,
                                        admission: ConnectAdmission(webhooks: webhooks, policies: policies), logger: logger)
        // Custom resources are served from the first request on, also right after a restart.
        let storedDefinitions = await cache.list(bucket: CustomResourceDefinitionController.prefix,
                                                 keyPrefix: CustomResourceDefinitionController.prefix)
        served.update(definitions: storedDefinitions.items.map(\.object))
        let definitions = CustomResourceDefinitionController(handler: handler, served: served, logger: logger)
        var responder = APIResponder(
            handler: handler, served: served, access: access, metrics: APIMetrics(registry: registry),
            version: ServedVersion.document, readiness: readiness, caCertificatePEM: configuration.caCertificatePEM,
            logger: logger, nodeProxy: nodeProxy)
        if let issuer = configuration.serviceAccountTokenIssuer {
            responder.issuerDiscovery = ServiceAccountIssuerDiscovery(
                issuer: issuer.issuer, keys: [issuer.key.publicKey], jwksHost: "\(advertised):\(configuration.port)")
        }
        responder.reviews = AuthenticationReviews(authenticators: authenticators, serviceAccounts: serviceAccounts,
                                                  apiAudiences: configuration.serviceAccountTokenIssuer?.apiAudiences
                                                      ?? [ServiceAccountTokenIssuer.defaultIssuer])
        responder.inFlight = InFlightLimiter(maxReadOnly: configuration.maxRequestsInFlight,
                                             maxMutating: configuration.maxMutatingRequestsInFlight, registry: registry)
        responder.auditLog = configuration.auditLog
        responder.mounts = Dictionary(configuration.mounts.map { ($0.prefix, $0) }, uniquingKeysWith: { first, _ in first })
        responder.secretsEncryption = SecretsEncryptionRoutes(
            encryption: configuration.secretsEncryption ?? SecretsEncryption(store: nil, configPath: nil))

        let onReady = self.onReady
        let app = Application(
            responder: responder,
            server: .streaming(tlsConfiguration: configuration.tls,
                               configuration: .init(idleTimeout: nil, gracefulCloseTimeout: .seconds(5)),
                               shouldUpgrade: { request, _, _ in await nodeProxy.shouldUpgrade(request) }),
            configuration: .init(address: .hostname(configuration.bindAddress, port: configuration.port), serverName: nil),
            onServerRunning: { _ in
                await readiness.markReady()
                await onReady()
            },
            logger: logger)
        let dashboardApp = configuration.dashboardPort.map { port in
            Application(
                responder: DashboardListenerResponder(api: responder),
                server: .streaming(tlsConfiguration: configuration.tls,
                                   configuration: .init(idleTimeout: nil, gracefulCloseTimeout: .seconds(5)),
                                   shouldUpgrade: { request, _, _ in await nodeProxy.shouldUpgrade(request) }),
                configuration: .init(address: .hostname(configuration.bindAddress, port: port), serverName: nil),
                logger: logger)
        }

        // Graceful shutdown: every watch ends (and a new one ends at once), so the HTTP server can
        // drain its in-flight requests while the cache is still fed for their consistent reads;
        // when the server has stopped, the background loops are cancelled.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [logger, drain = configuration.shutdownDrainTimeout] in
                try await withThrowingTaskGroup(of: Void.self) { server in
                    server.addTask { try await app.run() }
                    if let dashboardApp { server.addTask { try await dashboardApp.run() } }
                    server.addTask {
                        // Past the drain period, cancelling the server closes what is still open.
                        do { try await gracefulShutdown() } catch { return }
                        try? await Task.sleep(for: drain)
                        if !Task.isCancelled {
                            logger.warning("connections still open after the shutdown drain period; closing them",
                                           metadata: ["drain": "\(drain)"])
                        }
                    }
                    try await server.next()
                    server.cancelAll()
                }
                return true
            }
            group.addTask { try await feed(cache, from: revision); return false }
            group.addTask {
                try? await gracefulShutdown()
                await cache.closeAll()
                return false
            }
            group.addTask { try await compact(cache); return false }
            group.addTask { [configuration, logger] in
                try await EventExpiry(ttl: configuration.eventTTL, storage: storage, logger: logger).run()
                return false
            }
            group.addTask { try await definitions.run(); return false }
            group.addTask { await AllocationRepair(allocator: allocator, storage: storage, logger: logger).run(); return false }
            group.addTask {
                await KubernetesService.maintain(storage: storage, allocator: allocator, leases: leases, address: advertised,
                                                 port: configuration.port, logger: logger)
                return false
            }
            while let serverStopped = try await group.next(), !serverStopped {}
            group.cancelAll()
            while let _ = try? await group.next() {}
        }
        await cache.closeAll()
        await configuration.auditLog?.sink.close()
        logger.info("API server stopped")
    }

    /// Reads the whole store into the cache at one revision.
    private func loadCache(_ cache: WatchCache) async throws -> Int64 {
        let revision = try await store.currentRevision()
        let all = try await store.range(prefix: StorageKeys.root, startKey: nil, limit: nil, revision: revision == 0 ? nil : revision)
        await cache.load(all.items, revision: all.revision)
        logger.info("watch cache loaded", metadata: ["objects": "\(all.items.count)", "revision": "\(all.revision)"])
        return all.revision
    }

    /// Follows the store's changes into the cache until cancelled; after a gap (compaction under a slow feeder)
    /// it re-lists, and the cache closes its watchers so clients re-list too.
    private func feed(_ cache: WatchCache, from revision: Int64) async throws {
        var next = revision + 1
        while !Task.isCancelled {
            do {
                for try await batch in store.watch(prefix: StorageKeys.root, startRevision: next) {
                    await cache.apply(decoded: WatchCache.decode(batch, written: cache.written))
                    if let last = batch.last { next = last.revision + 1 }
                }
                if Task.isCancelled { break }
            } catch StoreError.compacted {
                logger.warning("store watch fell behind compaction; reloading the cache")
                next = try await loadCache(cache) + 1
            } catch is CancellationError {
                break
            }
        }
        await cache.closeAll()
    }

    /// Every interval, compacts at the revision seen one interval earlier (upstream's scheme),
    /// so a watcher always has at least one interval of history to resume from.
    private func compact(_ cache: WatchCache) async throws {
        var previous: Int64 = 0
        while !Task.isCancelled {
            try await Task.sleep(for: configuration.compactionInterval)
            let current = try await store.currentRevision()
            let compacted = try await store.compactedRevision()
            if previous > compacted {
                do {
                    try await store.compact(revision: previous)
                    await cache.compacted(to: previous)
                    logger.debug("compacted", metadata: ["revision": "\(previous)"])
                } catch StoreError.compacted {
                    // Someone else compacted further; nothing to do.
                }
            }
            previous = current
        }
    }
}
