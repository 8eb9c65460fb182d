import Foundation
import KyvernAPI
package import KyvernClient
package import Logging
package import Metrics
public import ServiceLifecycle
import Synchronization

/// Enforces NetworkPolicies for the pods of one node: watches pods, namespaces and policies and
/// keeps the node's policy rules equal to what they ask (``PolicyCompiler``, then
/// ``NftPolicyBuilder`` or ``IptablesPolicyBuilder`` as the proxy's mode is).
///
/// Events only mark the state dirty; one loop compiles at most every `minSyncInterval` and loads
/// the rules in one transaction (`nft -f`, `iptables-restore`) when they changed, so a change reaches the
/// kernel well within a second and a burst of changes costs one load. Every `resyncInterval`
/// the table is loaded again even if unchanged, repairing edits made behind its back. On
/// shutdown the table is removed: without the controller the node enforces nothing.
public final class NetworkPolicyController: Service, Sendable {
    let informers: SharedInformerFactory
    let compiler: PolicyCompiler
    let mode: ProxyMode
    let backend: any PolicyBackend
    let metrics: PolicyMetrics
    let logger: Logger
    let minSyncInterval: Duration
    let resyncInterval: Duration
    private let dirty = Mutex(true)
    private let stopping = Mutex(false)

    package init(client: any KubernetesClient, nodeName: String, logger: Logger, mode: ProxyMode = .nftables,
                 networkNamespace: String? = nil,
                 metricsFactory: any MetricsFactory = MetricsSystem.factory, minSyncInterval: Duration = .milliseconds(100), resyncInterval: Duration = .seconds(60),
                 informers: SharedInformerFactory? = nil) {
        self.informers = informers ?? SharedInformerFactory(client: client, logger: logger)
        self.compiler = PolicyCompiler(nodeName: nodeName)
        self.mode = mode
        self.backend = mode.policyBackend(namespace: networkNamespace)
        self.metrics = PolicyMetrics(factory: metricsFactory)
        self.logger = logger
        self.minSyncInterval = minSyncInterval
        self.resyncInterval = resyncInterval
    }

    public func run() async throws {
        logger.info("network policy controller starting", metadata: ["node": "\(compiler.nodeName)", "rules": "\(backend.location)"])
        // Rules the other mode left (an earlier run with another --proxy-mode) would still filter.
        for other in ProxyMode.allCases where other != mode && ProxyCommand.available(other.policyTool) {
            try? await other.policyBackend(namespace: backend.namespace).removeAll()
        }
        if !(await BridgeFiltering.enable(namespace: backend.namespace)) {
            logger.warning("could not set net.bridge.bridge-nf-call-iptables=1; policies between pods on one bridge may not apply")
        }
        let pods = await informers.informer(for: .pods)
        let namespaces = await informers.informer(for: .namespaces)
        let policies = await informers.informer(for: .networkPolicies)
        await pods.addHandler { [self] event in
            // Pod status changes all the time; only what policies read matters.
            if case .updated(let old, let new) = event, PolicyPod(json: old) == PolicyPod(json: new) { return }
            markDirty()
        }
        await namespaces.addHandler { [self] event in
            if case .updated(let old, let new) = event, old.labels == new.labels { return }
            markDirty()
        }
        await policies.addHandler { [self] event in
            if case .updated(let old, let new) = event, old == new { return }
            markDirty()
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await self.informers.run() }
                await pods.waitForSync()
                await namespaces.waitForSync()
                await policies.waitForSync()
                await self.syncLoop(pods: pods.lister, namespaces: namespaces.lister, policies: policies.lister)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
        }
        do {
            try await backend.removeAll()
            logger.info("network policy controller stopped; rules removed")
        } catch {
            logger.error("network policy controller could not remove its rules", metadata: ["error": "\(error)"])
        }
    }

    private func markDirty() {
        dirty.withLock { $0 = true }
    }

    private func syncLoop(pods: Lister, namespaces: Lister, policies: Lister) async {
        let clock = ContinuousClock()
        var nextResync = clock.now
        var lastFailed = false
        // The first repair comes soon: the service proxy starts beside this controller and, in
        // iptables mode, may put its FORWARD jump (which accepts some traffic) above ours.
        var repairs = 0
        while !Task.isCancelled && !stopping.withLock({ $0 }) {
            let wanted = dirty.withLock { value in defer { value = false }; return value }
            let force = clock.now >= nextResync || lastFailed
            if wanted || force {
                lastFailed = !(await sync(pods: pods, namespaces: namespaces, policies: policies, force: force))
                if force && !lastFailed {
                    nextResync = clock.now + (repairs == 0 ? min(resyncInterval, .seconds(5)) : resyncInterval)
                    repairs += 1
                }
            }
            try? await Task.sleep(for: lastFailed ? .seconds(1) : minSyncInterval)
        }
    }

    /// One sync; returns whether it succeeded.
    func sync(pods: Lister, namespaces: Lister, policies: Lister, force: Bool) async -> Bool {
        let start = ContinuousClock.now
        let set = compiler.compile(policies: await policies.list().compactMap(NetworkPolicyModel.init(json:)),
                                   pods: await pods.list().compactMap(PolicyPod.init(json:)),
                                   namespaces: await namespaces.list().compactMap(PolicyNamespace.init(json:)))
        do {
            guard let output = try await backend.load(set, force: force) else { return true }
            metrics.synced(rules: output.rules, isolatedPods: output.isolatedPods, duration: ContinuousClock.now - start)
            logger.log(level: force ? .info : .debug, "network policies synced", metadata: [
                "policyChains": "\(set.ingress.count + set.egress.count)", "isolatedPods": "\(output.isolatedPods)",
                "rules": "\(output.rules)", (mode == .nftables ? "sets" : "chains"): "\(output.containers)",
                "duration": "\(ContinuousClock.now - start)",
            ])
            return true
        } catch {
            metrics.failed()
            logger.error("network policy sync failed; retrying", metadata: ["error": "\(error)"])
            return false
        }
    }
}
