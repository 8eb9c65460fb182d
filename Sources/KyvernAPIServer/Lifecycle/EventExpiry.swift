import DequeModule
import KyvernStore
import Logging
import ServiceLifecycle

/// Which events are due to expire, and when: each write of an event restarts its time to live,
/// as upstream's per-event etcd lease does.
///
/// Every deadline is "last write + ttl" with one ttl, so deadlines come in the order of the writes:
/// a queue ordered by write time is ordered by deadline, and expiring is popping its front. A
/// queue entry whose key was written again (or deleted) since is stale and skipped.
struct EventExpirySchedule: Sendable {
    let ttl: Duration
    private var queue: Deque<(deadline: ContinuousClock.Instant, key: String, revision: Int64)> = []
    /// The revision of each live event's last write.
    private var latest: [String: Int64] = [:]

    init(ttl: Duration) {
        self.ttl = ttl
    }

    var count: Int { latest.count }

    /// An event was created or updated at `now` (its store revision is `revision`).
    mutating func written(key: String, revision: Int64, at now: ContinuousClock.Instant) {
        latest[key] = revision
        queue.append((now + ttl, key, revision))
    }

    /// An event was deleted (by a client or by expiry).
    mutating func removed(key: String) {
        latest[key] = nil
    }

    /// The events whose deadline has passed, each with the revision to delete it at (so a write
    /// racing the expiry wins). They leave the schedule.
    mutating func expired(at now: ContinuousClock.Instant) -> [(key: String, revision: Int64)] {
        var due: [(key: String, revision: Int64)] = []
        while let first = queue.first, first.deadline <= now {
            queue.removeFirst()
            guard latest[first.key] == first.revision else { continue }
            latest[first.key] = nil
            due.append((first.key, first.revision))
        }
        return due
    }
}

/// Deletes events once their time to live (`--event-ttl`) has passed since their last write.
///
/// Upstream attaches an etcd lease to every event write; Kyvern's stores have no leases, so the
/// API server keeps the schedule in memory, fed by the watch cache. The last-write time is not
/// persisted: after a restart every stored event gets a full ttl from the moment the server
/// starts, which is what etcd does with its leases when a member restarts (a new leader renews
/// every lease to its full ttl). Events therefore never outlive `ttl` of server uptime after their
/// last write, and never vanish early because the server was down.
struct EventExpiry: Sendable {
    let ttl: Duration
    let storage: ObjectStorage
    let logger: Logger
    /// How often due events are looked for.
    var interval: Duration = .milliseconds(500)

    static let prefix = StorageKeys.resourcePrefix(group: "", resource: "events")

    /// Runs until cancelled; it must not end on its own, as the API server stops when any of its
    /// tasks does.
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await follow()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("event expiry lost its watch; starting again", metadata: ["error": "\(error)"])
            }
            // The cache closed our watch (it re-listed after a gap): start again from a snapshot.
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// One snapshot-and-watch of the events, expiring as it goes, until the watch ends.
    private func follow() async throws {
        let cache = storage.cache
        let snapshot = try await cache.snapshotAndWatch(bucket: Self.prefix, keyPrefix: Self.prefix)
        let state = ScheduleBox(EventExpirySchedule(ttl: ttl))
        let start = ContinuousClock.now
        for item in snapshot.items {
            await state.written(key: item.key, revision: item.modRevision, at: start)
        }
        let events = snapshot.events
        do {
            try await expireWhileWatching(events, state: state)
        } catch {
            await cache.stopWatching(snapshot.id)
            throw error
        }
        await cache.stopWatching(snapshot.id)
    }

    private func expireWhileWatching(_ events: AsyncStream<CacheEvent>, state: ScheduleBox) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    switch event.type {
                    case .deleted: await state.removed(key: event.key)
                    default: await state.written(key: event.key, revision: event.revision, at: .now)
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    for (key, revision) in await state.expired(at: .now) {
                        await expire(key: key, revision: revision)
                    }
                }
            }
            // The watch ended (or we were cancelled): stop the timer too.
            try await group.next()
            group.cancelAll()
        }
    }

    /// Deletes one event at the revision it expired at; a newer write or an earlier delete wins.
    private func expire(key: String, revision: Int64) async {
        do {
            _ = try await storage.store.delete(key: key, expectedRevision: revision)
            logger.debug("event expired", metadata: ["key": "\(key)"])
        } catch StoreError.conflict {
        } catch StoreError.notFound {
        } catch {
            logger.warning("could not delete an expired event", metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }
}

/// The schedule shared by the task following the watch and the task expiring events.
private actor ScheduleBox {
    var schedule: EventExpirySchedule

    init(_ schedule: EventExpirySchedule) {
        self.schedule = schedule
    }

    func written(key: String, revision: Int64, at now: ContinuousClock.Instant) {
        schedule.written(key: key, revision: revision, at: now)
    }

    func removed(key: String) {
        schedule.removed(key: key)
    }

    func expired(at now: ContinuousClock.Instant) -> [(key: String, revision: Int64)] {
        schedule.expired(at: now)
    }
}
