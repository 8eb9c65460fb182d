import Foundation
import KyvernAPI
public import Logging

/// Leader election on a coordination.k8s.io/v1 Lease, with upstream's semantics.
///
/// Candidates compete for one Lease with optimistic concurrency (every write carries the
/// resourceVersion read), so at most one write of a round wins. The winner renews every
/// `retryPeriod`; if no renewal succeeds within `renewDeadline` it stops leading, before the others
/// may consider the Lease expired (`leaseDuration`, measured on their own clocks from when they last
/// saw the record change).
public struct LeaderElector: Sendable {
    let leases: TypedClient<CoordinationV1.Lease>
    public let config: LeaderElectionConfig
    let logger: Logger

    public init(client: any KubernetesClient, config: LeaderElectionConfig, logger: Logger) {
        self.leases = client.resource(CoordinationV1.Lease.self)
        self.config = config
        var logger = logger
        logger[metadataKey: "lease"] = "\(config.namespace)/\(config.name)"
        logger[metadataKey: "identity"] = "\(config.identity)"
        self.logger = logger
    }

    /// Waits to acquire the Lease, runs `body` while leading (cancelled when the lease is lost), returns/throws after.
    ///
    /// `body` runs as a child task. When it returns, leading ends and `run` returns; when it throws,
    /// `run` rethrows; when renewal fails past `renewDeadline`, `body` is cancelled and `run` throws
    /// ``LeaderElectionError/leadershipLost(identity:)``. Cancelling the calling task cancels `body`,
    /// releases the Lease (if `releaseOnCancel`) and returns.
    public func run(whileLeading body: @escaping @Sendable () async throws -> Void) async throws {
        try config.validate()
        var observation = LeaseObservation(identity: config.identity, leaseDuration: config.leaseDuration)
        guard await acquire(&observation) else { return }  // cancelled while waiting
        logger.info("successfully acquired lease")

        enum Outcome: Sendable {
            case bodyReturned
            case bodyThrew(any Error)
            case renewalEnded(LeaseObservation, lost: Bool)
        }
        let start = observation
        let outcome: (body: Outcome?, renewal: LeaseObservation, lost: Bool) = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await body()
                    return .bodyReturned
                } catch {
                    return .bodyThrew(error)
                }
            }
            group.addTask {
                var renewing = start
                let lost = await self.renew(&renewing)
                return .renewalEnded(renewing, lost: lost)
            }
            var bodyOutcome: Outcome?
            var renewal = start
            var lost = false
            while let next = await group.next() {
                switch next {
                case .renewalEnded(let observed, let didLose):
                    renewal = observed
                    lost = didLose
                    if didLose {
                        logger.error("failed to renew lease within the renew deadline; leading stops")
                    }
                default:
                    bodyOutcome = next
                }
                // Whichever ends first, the other stops: no body without a lease, no lease without a body.
                group.cancelAll()
            }
            return (bodyOutcome, renewal, lost)
        }
        if !outcome.lost {
            await release(outcome.renewal)
        }
        if case .bodyThrew(let error) = outcome.body, !(error is CancellationError) {
            throw error
        }
        if outcome.lost {
            throw LeaderElectionError.leadershipLost(identity: config.identity)
        }
    }

    // MARK: acquiring and renewing

    /// Tries at once, then every `retryPeriod` with upstream's jitter, until this candidate holds the
    /// Lease (true) or the task is cancelled (false).
    func acquire(_ observation: inout LeaseObservation) async -> Bool {
        logger.info("attempting to acquire leader lease")
        var lastHolder: String?
        while !Task.isCancelled {
            let deadline = ContinuousClock.now + config.renewDeadline
            if await attempt(&observation, deadline: deadline) { return true }
            if let holder = observation.record?.holderIdentity, holder != lastHolder {
                lastHolder = holder
                logger.info("lease is held by another candidate", metadata: ["holder": "\(holder)"])
            }
            let jitter = Double.random(in: 0..<LeaderElectionConfig.jitterFactor)
            do {
                try await Task.sleep(for: config.retryPeriod * (1 + jitter))
            } catch {
                return false
            }
        }
        return false
    }

    /// Renews every `retryPeriod`; returns true when a renewal did not succeed within
    /// `renewDeadline` (leadership lost), false when cancelled.
    func renew(_ observation: inout LeaseObservation) async -> Bool {
        while true {
            do {
                try await Task.sleep(for: config.retryPeriod)
            } catch {
                return false
            }
            let deadline = ContinuousClock.now + config.renewDeadline
            var renewed = false
            while !renewed {
                if Task.isCancelled { return false }
                renewed = await attempt(&observation, deadline: deadline)
                if renewed { break }
                if ContinuousClock.now + config.retryPeriod >= deadline { return true }
                do {
                    try await Task.sleep(for: config.retryPeriod)
                } catch {
                    return false
                }
            }
            if !observation.isLeader { return true }
        }
    }

    /// One try to acquire or renew, abandoned at `deadline`: true when this candidate now holds the Lease.
    func attempt(_ observation: inout LeaseObservation, deadline: ContinuousClock.Instant) async -> Bool {
        let before = observation
        // What the attempt saw is kept even when it failed: the expiry clock runs from the first sighting.
        let result: (LeaseObservation, Bool)? = await withTaskGroup(of: (LeaseObservation, Bool)?.self) { group in
            group.addTask {
                var working = before
                let held = await self.tryAcquireOrRenew(&working)
                return (working, held)
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let (seen, held) = result else { return false }
        observation = seen
        return held
    }

    /// Upstream's tryAcquireOrRenew: a direct update of the cached Lease while this candidate leads,
    /// else read, judge, and write (create when absent) with the resourceVersion read.
    func tryAcquireOrRenew(_ observation: inout LeaseObservation) async -> Bool {
        let now = ContinuousClock.now
        let wallNow = Date()
        if observation.isLeader, observation.leaseValid(at: now), let cached = observation.lease,
           let record = observation.claim(over: observation.record, wallNow: wallNow, now: now) {
            var lease = cached
            lease.spec = record.leaseSpec
            do {
                let written = try await leases.update(lease)
                observation.observe(written, at: now)
                return true
            } catch {
                logger.debug("fast renewal failed, reading the lease again", metadata: ["error": "\(error)"])
                observation.dropCachedLease()
            }
        }

        let current: CoordinationV1.Lease
        do {
            current = try await leases.get(namespace: config.namespace, name: config.name)
        } catch let error as APIError where error.code == 404 {
            guard let record = observation.claim(over: nil, wallNow: wallNow, now: now) else { return false }
            do {
                let created = try await leases.create(record.typedLease(namespace: config.namespace, name: config.name))
                observation.observe(created, at: now)
                return true
            } catch {
                logger.debug("error creating lease", metadata: ["error": "\(error)"])
                return false
            }
        } catch {
            logger.debug("error retrieving lease", metadata: ["error": "\(error)"])
            return false
        }

        observation.observe(current, at: now)
        guard let record = observation.claim(over: observation.record, wallNow: wallNow, now: now) else {
            return false
        }
        var lease = current
        lease.spec = record.leaseSpec
        do {
            let written = try await leases.update(lease)
            observation.observe(written, at: now)
            return true
        } catch {
            logger.debug("failed to update lease", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Clears `holderIdentity` so a successor need not wait out the lease.
    ///
    /// Runs in its own task, awaited here, because it must still reach the server when the caller
    /// stops by cancellation (a cancelled task's requests fail at once).
    func release(_ observation: LeaseObservation) async {
        guard config.releaseOnCancel, observation.isLeader, var toWrite = observation.lease else { return }
        toWrite.spec = observation.release(wallNow: Date()).leaseSpec
        let first = toWrite
        let leases = leases
        let logger = logger
        let identity = config.identity
        await Task {
            var lease = first
            // A renewal cancelled in flight may still have landed, leaving the cached resourceVersion
            // stale: on a conflict, read again and release only while this candidate still holds it.
            for attempt in 1...3 {
                do {
                    _ = try await leases.update(lease)
                    logger.info("released lease")
                    return
                } catch let error as APIError where error.code == 409 && attempt < 3 {
                    guard let current = try? await leases.get(namespace: lease.metadata.namespace ?? "",
                                                              name: lease.metadata.name ?? ""),
                          current.spec?.holderIdentity == identity else {
                        logger.info("lease changed hands before release", metadata: ["error": "\(error)"])
                        return
                    }
                    let released = lease.spec
                    lease = current
                    lease.spec = released
                } catch {
                    logger.warning("failed to release lease", metadata: ["error": "\(error)"])
                    return
                }
            }
        }.value
    }
}
