import Foundation
package import KyvernClient
package import Logging
package import Metrics
public import ServiceLifecycle
import Synchronization

/// The node's service proxy: watches Services and EndpointSlices and keeps the kernel's rules
/// equal to what they describe, through iptables or nftables (upstream kube-proxy's iptables and
/// nftables modes; see ``ProxyBackend``).
///
/// Informer events only mark the state dirty; one loop syncs at most every `minSyncInterval`, so
/// a burst of changes costs one `iptables-restore` or `nft -f`, and a change reaches the kernel well within a
/// second. Every `resyncInterval` the rules are recomputed even without events; every
/// `fullSyncInterval` (and at start and after any failure) every chain is rewritten and the
/// kernel re-read, repairing rules changed behind the proxy's back. On shutdown every rule and
/// chain it made is removed.
public final class ServiceProxy: Service, Sendable {
    let informers: SharedInformerFactory
    let builder: RuleBuilder
    let backend: any ProxyBackend
    let metrics: ProxyMetrics
    let logger: Logger
    let minSyncInterval: Duration
    let resyncInterval: Duration
    let fullSyncInterval: Duration
    private let dirty = Mutex(true)
    private let stopping = Mutex(false)
    /// The entries of the last successful sync, for conntrack cleanup.
    private let lastEntries = Mutex<[RuleBuilder.Entry]>([])

    package init(client: any KubernetesClient, node: RuleBuilder.Node, metricsFactory: any MetricsFactory = MetricsSystem.factory,
                 logger: Logger, minSyncInterval: Duration = .milliseconds(100), resyncInterval: Duration = .seconds(30),
                 fullSyncInterval: Duration = .seconds(3600), informers: SharedInformerFactory? = nil,
                 backend: any ProxyBackend = IptablesBackend()) {
        self.informers = informers ?? SharedInformerFactory(client: client, logger: logger)
        self.builder = RuleBuilder(node: node)
        self.backend = backend
        self.metrics = ProxyMetrics(factory: metricsFactory, tables: backend.ruleTables)
        self.logger = logger
        self.minSyncInterval = minSyncInterval
        self.resyncInterval = resyncInterval
        self.fullSyncInterval = fullSyncInterval
    }

    public func run() async throws {
        let backendName = await backend.describe()
        logger.info("service proxy starting", metadata: [
            "backend": "\(backendName)", "node": "\(builder.node.name)",
            "nodeAddresses": "\(builder.node.addresses)", "clusterCIDR": "\(builder.node.clusterCIDR)",
        ])
        await removeOtherModes()
        let services = await informers.informer(for: .services)
        let slices = await informers.informer(for: .endpointSlices)
        await services.addHandler { [self] event in markDirty(event) }
        await slices.addHandler { [self] event in markDirty(event) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await self.informers.run() }
                await services.waitForSync()
                await slices.waitForSync()
                await self.syncLoop(services: services.lister, slices: slices.lister)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
        }
        do {
            try await backend.removeAll()
            logger.info("service proxy stopped; rules removed")
        } catch {
            logger.error("service proxy could not remove its rules", metadata: ["error": "\(error)"])
        }
    }

    /// A node switched from one `--proxy-mode` to the other would otherwise keep the old mode's
    /// rules, which see packets first and send them to stale endpoints (upstream kube-proxy
    /// cleans up the same way). Nothing to remove is the usual case; a missing tool is no error.
    private func removeOtherModes() async {
        for other in ProxyMode.allCases where other != backend.mode {
            do {
                try await other.backend(namespace: backend.namespace).removeAll()
            } catch {
                logger.debug("no \(other) rules removed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Resyncs (the informers' own re-deliveries) need no new sync; real changes do.
    private func markDirty(_ event: InformerEvent) {
        if case .updated(let old, let new) = event, old == new { return }
        dirty.withLock { $0 = true }
    }

    private func syncLoop(services: Lister, slices: Lister) async {
        let clock = ContinuousClock()
        var nextResync = clock.now
        var nextFull = clock.now
        var lastFailed = false
        while !Task.isCancelled && !stopping.withLock({ $0 }) {
            let now = clock.now
            let wanted = dirty.withLock { value in defer { value = false }; return value }
            if wanted || now >= nextResync || lastFailed {
                let full = now >= nextFull || lastFailed
                lastFailed = !(await sync(services: services, slices: slices, full: full))
                nextResync = clock.now + resyncInterval
                if full && !lastFailed { nextFull = clock.now + fullSyncInterval }
            }
            try? await Task.sleep(for: lastFailed ? .seconds(1) : minSyncInterval)
        }
    }

    /// One sync; returns whether it succeeded.
    func sync(services: Lister, slices: Lister, full: Bool) async -> Bool {
        let start = ContinuousClock.now
        let entries = ProxySnapshot.entries(services: await services.list(), slices: await slices.list())
        do {
            let outcome = try await backend.apply(entries, node: builder.node, full: full)
            let previous = lastEntries.withLock { value in defer { value = entries }; return value }
            let cleanup = ConntrackCleanup.commands(old: previous, new: entries, nodeName: builder.node.name)
            let cleared = cleanup.isEmpty ? 0 : await ConntrackCleanup.run(cleanup, namespace: backend.namespace)
            let duration = ContinuousClock.now - start
            metrics.synced(outcome.rules, full: outcome.full, duration: duration)
            let level: Logger.Level = outcome.full ? .info : .debug
            logger.log(level: level, "service proxy synced", metadata: [
                "full": "\(outcome.full)", "servicePorts": "\(entries.count)", "rules": "\(outcome.ruleCount)",
                "chainsWritten": "\(outcome.chainsWritten)", "chainsDeleted": "\(outcome.chainsDeleted)",
                "conntrackDeletes": "\(cleared)", "duration": "\(duration)",
            ])
            return true
        } catch {
            metrics.failed()
            logger.error("service proxy sync failed; retrying with a full sync", metadata: ["error": "\(error)"])
            return false
        }
    }
}
