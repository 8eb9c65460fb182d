import Foundation
import KyvernAPI
import KyvernStore

/// One allocated value, a Service IP or a node port, kept as its own key in the store.
///
/// As upstream's IPAddress objects, a reservation exists at most once because the store's
/// create-if-absent is a compare-and-swap: two API servers, or two requests in one, can never
/// both get the same value, and the reservations survive restarts with the rest of the data.
struct Reservation: Sendable, Hashable, CustomStringConvertible {
    enum Pool: String, Sendable, CaseIterable {
        case serviceIPs = "serviceips"
        case nodePorts = "nodeports"
    }

    var pool: Pool
    /// "10.43.0.10" or "30080".
    var value: String

    var key: String { "\(ReservationStore.root)\(pool.rawValue)/\(value)" }
    var description: String { "\(pool.rawValue)/\(value)" }

    static func ip(_ address: String) -> Reservation { Reservation(pool: .serviceIPs, value: address) }
    static func port(_ port: Int) -> Reservation { Reservation(pool: .nodePorts, value: String(port)) }
}

/// The Service holding a reservation; its uid tells a reservation of a deleted and re-created
/// Service of the same name from the current one's.
struct ReservationOwner: Sendable, Hashable {
    var namespace: String
    var name: String
    var uid: String

    init(namespace: String, name: String, uid: String) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    init(service: JSONValue) {
        namespace = service[path: ["metadata", "namespace"]]?.stringValue ?? ""
        name = service[path: ["metadata", "name"]]?.stringValue ?? ""
        uid = service[path: ["metadata", "uid"]]?.stringValue ?? ""
    }
}

/// A reservation as stored, with who holds it and since when.
struct StoredReservation: Sendable, Hashable {
    var reservation: Reservation
    var owner: ReservationOwner
    var reservedAt: Date?
    var modRevision: Int64
}

/// Reads and writes reservations. Their keys (`/registry/kyvern.io/serviceips/10.43.0.10`) sit
/// under `/registry/` like every other write, so the watch cache follows every revision and
/// consistent reads never wait for one it cannot see; no served resource maps onto them.
struct ReservationStore: Sendable {
    static let root = "/registry/kyvern.io/"

    let store: any Store

    enum Outcome: Sendable, Equatable {
        /// Newly reserved for the owner by this call.
        case reserved
        /// The owner held it already (a retried request, or an update keeping its values).
        case alreadyOwned
        /// Someone else holds it.
        case taken
    }

    func reserve(_ reservation: Reservation, for owner: ReservationOwner) async throws -> Outcome {
        let value: JSONValue = [
            "namespace": .string(owner.namespace), "name": .string(owner.name), "uid": .string(owner.uid),
            "reservedAt": .string(Timestamp.format(Date())),
        ]
        for _ in 0..<10 {
            do {
                _ = try await store.create(key: reservation.key, value: value.serialized())
                return .reserved
            } catch StoreError.keyExists {
                // Released between our create and read: try again.
                guard let held = try await read(reservation) else { continue }
                return held.owner.uid == owner.uid ? .alreadyOwned : .taken
            } catch let error as StoreError {
                throw ObjectStorage.apiError(error)
            }
        }
        return .taken
    }

    func read(_ reservation: Reservation) async throws -> StoredReservation? {
        let kv: KeyValue?
        do {
            kv = try await store.get(key: reservation.key, revision: nil)
        } catch let error as StoreError {
            throw ObjectStorage.apiError(error)
        }
        return kv.map { Self.decode(reservation, $0) }
    }

    func isTaken(_ reservation: Reservation) async throws -> Bool {
        try await read(reservation) != nil
    }

    /// Releases a reservation only if `uid` still holds it: a late release can never free a
    /// value that was meanwhile given to another Service.
    func release(_ reservation: Reservation, heldBy uid: String) async throws {
        for _ in 0..<10 {
            guard let held = try await read(reservation), held.owner.uid == uid else { return }
            do {
                _ = try await store.delete(key: reservation.key, expectedRevision: held.modRevision)
                return
            } catch StoreError.notFound {
                return
            } catch StoreError.conflict {
                continue
            } catch let error as StoreError {
                throw ObjectStorage.apiError(error)
            }
        }
    }

    /// Every reservation of a pool.
    func all(_ pool: Reservation.Pool) async throws -> [StoredReservation] {
        let prefix = "\(Self.root)\(pool.rawValue)/"
        let result: RangeResult
        do {
            result = try await store.range(prefix: prefix, startKey: nil, limit: nil, revision: nil)
        } catch let error as StoreError {
            throw ObjectStorage.apiError(error)
        }
        return result.items.map { kv in
            Self.decode(Reservation(pool: pool, value: String(kv.key.dropFirst(prefix.count))), kv)
        }
    }

    private static func decode(_ reservation: Reservation, _ kv: KeyValue) -> StoredReservation {
        let value = (try? JSONValue.parse(kv.value)) ?? [:]
        let owner = ReservationOwner(namespace: value["namespace"]?.stringValue ?? "", name: value["name"]?.stringValue ?? "",
                                     uid: value["uid"]?.stringValue ?? "")
        let reservedAt = value["reservedAt"]?.stringValue.flatMap(Timestamp.parse)
        return StoredReservation(reservation: reservation, owner: owner, reservedAt: reservedAt, modRevision: kv.modRevision)
    }
}
