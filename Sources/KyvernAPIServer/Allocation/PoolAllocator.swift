import KyvernAPI

/// Hands out values of one finite pool (the Service IPs of a CIDR, or the node ports of a range)
/// through store-backed reservations. Holds no state: the store is the only truth, so any number
/// of these, in one API server or several, agree.
struct PoolAllocator: Sendable {
    let reservations: ReservationStore
    let pool: Reservation.Pool
    /// Values are offsets `0..<count`, rendered by `value(at:)`.
    let count: Int
    /// Offsets below this are kept for values asked for by number; dynamic allocation uses
    /// them only when everything above is taken.
    let dynamicStart: Int
    let render: @Sendable (Int) -> String

    enum Failure: Error, Equatable {
        /// Every value is taken (upstream's "range is full").
        case full
    }

    func reservation(at offset: Int) -> Reservation { Reservation(pool: pool, value: render(offset)) }

    /// Reserves the value at `offset` for `owner` (or, dry-run, only looks whether it is free).
    func allocate(offset: Int, for owner: ReservationOwner, dryRun: Bool) async throws -> ReservationStore.Outcome {
        let reservation = reservation(at: offset)
        if dryRun {
            guard let held = try await reservations.read(reservation) else { return .reserved }
            return held.owner.uid == owner.uid ? .alreadyOwned : .taken
        }
        return try await reservations.reserve(reservation, for: owner)
    }

    /// Reserves some free value, preferring the dynamic band. A few random probes find one at
    /// once while the pool is sparsely used; past that, one listing of the reservations finds
    /// the free ones, so a nearly full pool costs one range read rather than many misses.
    func allocateNext(for owner: ReservationOwner, dryRun: Bool) async throws -> Int {
        let upper = min(dynamicStart, count)..<count
        let lower = 0..<min(dynamicStart, count)
        if !upper.isEmpty {
            for _ in 0..<8 {
                let offset = Int.random(in: upper)
                if try await allocate(offset: offset, for: owner, dryRun: dryRun) == .reserved { return offset }
            }
        }
        let taken = Set(try await reservations.all(pool).map(\.reservation.value))
        for band in [upper, lower] where !band.isEmpty {
            let start = Int.random(in: band)
            for step in 0..<band.count {
                let offset = band.lowerBound + (start - band.lowerBound + step) % band.count
                if taken.contains(render(offset)) { continue }
                if try await allocate(offset: offset, for: owner, dryRun: dryRun) == .reserved { return offset }
            }
        }
        throw Failure.full
    }
}
