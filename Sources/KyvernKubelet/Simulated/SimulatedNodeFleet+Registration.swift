import Foundation
import KyvernAPI
import KyvernClient
import Logging
import Prometheus

extension SimulatedNodeFleet {
    /// Creates every node (or brings an existing one of that name to our spec), many at once, and
    /// returns their uids by index; logs progress every tenth.
    func registerNodes() async throws -> [String?] {
        let count = config.count
        logger.info("registering simulated nodes", metadata: [
            "nodes": "\(count)", "prefix": "\(config.namePrefix)", "concurrency": "\(config.concurrency)",
        ])
        let started = ContinuousClock.now
        let uids = Locked<[String?]>(Array(repeating: nil, count: count))
        let progress = Locked(0)
        let failure = Locked<String?>(nil)
        let step = max(1, count / 10)
        await Pacing.run(count: count, limit: config.concurrency) { index in
            do {
                let uid = try await registerNode(index)
                uids.withLock { $0[index] = uid }
                metrics.registeredNodes.increment()
                let done = progress.withLock { value -> Int in
                    value += 1
                    return value
                }
                if done % step == 0 || done == count {
                    logger.info("registered simulated nodes", metadata: ["registered": "\(done)", "of": "\(count)"])
                }
            } catch {
                if !Task.isCancelled {
                    failure.withLock { $0 = $0 ?? "node \(config.nodeName(index)): \(error)" }
                }
            }
        }
        try Task.checkCancellation()
        if let failure = failure.value {
            throw SimulatedNodeConfigError("registering simulated nodes failed: \(failure)")
        }
        logger.info("all simulated nodes registered", metadata: [
            "nodes": "\(count)", "seconds": "\((ContinuousClock.now - started).seconds)",
        ])
        return uids.value
    }

    /// Registers node `index` as a kubelet does: create; if the name exists, update it to our
    /// labels, taints and status (keeping its uid and pod range). Returns the node's uid.
    func registerNode(_ index: Int) async throws -> String? {
        let desired = NodeBuilder.node(index: index, config: config, now: Date())
        let name = config.nodeName(index)
        do {
            // The server may not be up yet: retry connection failures until cancelled.
            let created = try await Retry.run(attempts: nil, logger: logger, "registering node \(name)") {
                try await client.create(.nodes, namespace: nil, desired, options: .init())
            }
            return created[path: ["metadata", "uid"]]?.stringValue
        } catch let error where error.apiCode == 409 {
            return try await updateExistingNode(name: name, desired: desired)
        }
    }

    private func updateExistingNode(name: String, desired: JSONValue) async throws -> String? {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let existing = try await Retry.run(logger: logger, "reading node \(name)") {
                    try await client.get(.nodes, namespace: nil, name: name)
                }
                let wanted = NodeBuilder.replacing(existing: existing, with: desired)
                let updated = try await client.update(.nodes, namespace: nil, wanted, options: .init())
                var withStatus = updated
                withStatus["status"] = desired["status"]
                _ = try await client.updateStatus(.nodes, namespace: nil, withStatus, options: .init())
                return updated[path: ["metadata", "uid"]]?.stringValue
            } catch let error where error.apiCode == 409 && attempt < 5 {
                continue  // changed under us: read again
            }
        }
    }
}
