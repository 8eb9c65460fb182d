import Foundation
import KyvernAPI
import KyvernClient
import Logging
import Prometheus

extension SimulatedNodeFleet {
    /// Renews every node's Lease once per `leaseRenewInterval`, the renewals spread evenly over the
    /// interval (5,000 nodes at 10 s: one every 2 ms), as 5,000 kubelets on their own timers would.
    func keepLeasesFresh(nodeUIDs: [String?]) async throws {
        let interval = config.leaseRenewInterval
        while true {
            let round = ContinuousClock.now
            let failures = Locked(0)
            await Pacing.run(count: config.count, spreadOver: interval, limit: config.concurrency) { index in
                if await !renewLease(index, nodeUID: nodeUIDs[index]) {
                    failures.withLock { $0 += 1 }
                }
            }
            try Task.checkCancellation()
            if failures.value > 0 {
                logger.warning("node lease renewals failed", metadata: ["failed": "\(failures.value)", "of": "\(config.count)"])
            }
            try await Task.sleep(until: round + interval, clock: .continuous)
        }
    }

    /// One renewal: a merge patch of `spec`, or a create when the Lease is missing.
    func renewLease(_ index: Int, nodeUID: String?) async -> Bool {
        let name = config.nodeName(index)
        let now = Date()
        do {
            do {
                _ = try await client.patch(.leases, namespace: NodeLeaseBuilder.namespace, name: name, subresource: nil,
                                           type: .merge, NodeLeaseBuilder.renewal(node: name, renewTime: now),
                                           options: .init())
            } catch let error where error.apiCode == 404 {
                _ = try await client.create(.leases, namespace: NodeLeaseBuilder.namespace,
                                            NodeLeaseBuilder.lease(node: name, nodeUID: nodeUID, renewTime: now),
                                            options: .init())
            }
            metrics.leaseRenewals.increment()
            return true
        } catch {
            if Task.isCancelled { return true }
            metrics.leaseRenewalErrors.increment()
            logger.debug("failed to renew node lease", metadata: ["node": "\(name)", "error": "\(error)"])
            return false
        }
    }

    /// Refreshes every node's condition heartbeats once per `statusUpdateFrequency`, spread evenly;
    /// the first round comes one interval after registration, which stamped them.
    func keepStatusFresh() async throws {
        let interval = config.statusUpdateFrequency
        var round = ContinuousClock.now + interval
        while true {
            try await Task.sleep(until: round, clock: .continuous)
            round += interval
            let failures = Locked(0)
            await Pacing.run(count: config.count, spreadOver: interval, limit: config.concurrency) { index in
                if await !sendHeartbeat(index) {
                    failures.withLock { $0 += 1 }
                }
            }
            try Task.checkCancellation()
            if failures.value > 0 {
                logger.warning("node status updates failed", metadata: ["failed": "\(failures.value)", "of": "\(config.count)"])
            }
        }
    }

    /// A strategic-merge patch of `nodes/status`: the conditions' heartbeats, merged by type.
    func sendHeartbeat(_ index: Int) async -> Bool {
        let name = config.nodeName(index)
        do {
            _ = try await client.patch(.nodes, namespace: nil, name: name, subresource: "status", type: .strategicMerge,
                                       NodeBuilder.heartbeatPatch(now: Date()), options: .init())
            metrics.heartbeats.increment()
            return true
        } catch {
            if Task.isCancelled { return true }
            metrics.heartbeatErrors.increment()
            logger.debug("failed to update node status", metadata: ["node": "\(name)", "error": "\(error)"])
            return false
        }
    }
}
