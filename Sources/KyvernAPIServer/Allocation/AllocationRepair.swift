import Foundation
import KyvernAPI
import KyvernStore
import Logging

/// Keeps reservations and Services in agreement, as upstream's repair loops do: a Service whose
/// values have no reservation (data from before reservations existed) gets them, and a
/// reservation whose Service is gone (a crash between reserving and writing) is released.
///
/// A reservation younger than `minimumAge` is left alone: it may belong to a create still in
/// flight, here or on another API server.
struct AllocationRepair: Sendable {
    let allocator: ServiceAllocator
    let storage: ObjectStorage
    let logger: Logger
    var minimumAge: TimeInterval = 30
    var interval: Duration = .seconds(180)

    func run() async {
        while !Task.isCancelled {
            do {
                try await repairOnce(now: Date())
            } catch {
                logger.warning("allocation repair failed", metadata: ["error": "\(error)"])
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// One pass; returns what it re-reserved and what it released (for tests and logs).
    @discardableResult
    func repairOnce(now: Date) async throws -> (reserved: [Reservation], released: [Reservation]) {
        try await storage.syncCache()
        let bucket = StorageKeys.resourcePrefix(group: "", resource: "services")
        let services = await storage.cache.list(bucket: bucket, keyPrefix: bucket).items.map(\.object)
        var owners: [String: Set<Reservation>] = [:]
        var reserved: [Reservation] = []
        for service in services {
            let owner = ReservationOwner(service: service)
            let held = ServiceSpecRules.held(service)
            owners[owner.uid] = held
            for reservation in held where inRange(reservation) {
                switch try await allocator.reservations.reserve(reservation, for: owner) {
                case .reserved: reserved.append(reservation)
                case .alreadyOwned: break
                case .taken:
                    logger.warning("service holds a value reserved by another service",
                                   metadata: ["service": "\(owner.namespace)/\(owner.name)", "value": "\(reservation)"])
                }
            }
        }
        var released: [Reservation] = []
        // A service deleted (and its values released) while this pass walked its snapshot must not
        // keep what the pass re-reserved for it.
        if !reserved.isEmpty {
            // Read from the store itself: the question is what exists now, not what the cache has seen.
            let current = try await storage.mapStoreErrors {
                try await storage.store.range(prefix: bucket, startKey: nil, limit: nil, revision: nil)
            }
            let live = Set(try current.items.map {
                ReservationOwner(service: try CachedObject.decode(key: $0.key, value: $0.value, revision: $0.modRevision).object).uid
            })
            for (uid, held) in owners where !live.contains(uid) {
                for reservation in held where reserved.contains(reservation) {
                    try await allocator.reservations.release(reservation, heldBy: uid)
                    reserved.removeAll { $0 == reservation }
                    released.append(reservation)
                }
            }
        }
        for pool in Reservation.Pool.allCases {
            for stored in try await allocator.reservations.all(pool) {
                if owners[stored.owner.uid]?.contains(stored.reservation) == true { continue }
                if let reservedAt = stored.reservedAt, now.timeIntervalSince(reservedAt) < minimumAge { continue }
                try await allocator.reservations.release(stored.reservation, heldBy: stored.owner.uid)
                released.append(stored.reservation)
            }
        }
        if !reserved.isEmpty || !released.isEmpty {
            logger.info("allocation repair", metadata: ["reserved": "\(reserved)", "released": "\(released)"])
        }
        return (reserved, released)
    }

    private func inRange(_ reservation: Reservation) -> Bool {
        switch reservation.pool {
        case .serviceIPs:
            return IPv4CIDR.parseAddress(reservation.value).flatMap(allocator.ranges.clusterIPs.offset(of:)) != nil
        case .nodePorts:
            return Int(reservation.value).map(allocator.ranges.nodePorts.contains) ?? false
        }
    }
}
