import KyvernAPI
import Synchronization

/// Objects this server has just written, handed to the cache's feeder.
///
/// The feeder learns of every write from the store's watch as bytes; for a write made here the
/// decoded object already exists, so parsing and re-encoding it again (a sizeable share of a write's
/// cost) is skipped. An entry is used only for the exact key and revision it was written at, and
/// only when encoding would not change it (an integral floating-point number is stored as `1`, which
/// reads back as an integer), so the cache holds exactly what a fresh read of the store would give.
public final class WrittenObjects: Sendable {
    private let objects = Mutex<[Int64: CachedObject]>([:])

    public init() {}

    func add(_ object: CachedObject) {
        guard object.object.readsBackUnchanged else { return }
        objects.withLock { $0[object.modRevision] = object }
    }

    /// The object written at `revision` under `key`, if this server wrote it.
    func take(key: String, revision: Int64) -> CachedObject? {
        objects.withLock { objects in
            guard let found = objects.removeValue(forKey: revision) else { return nil }
            return found.key == key ? found : nil
        }
    }

    /// Drops entries the feeder has passed (a write it skipped after reloading the cache).
    func forget(through revision: Int64) {
        objects.withLock { objects in
            guard !objects.isEmpty else { return }
            objects = objects.filter { $0.key > revision }
        }
    }

    var count: Int { objects.withLock { $0.count } }
}

extension JSONValue {
    /// True when encoding and parsing give this same value back.
    var readsBackUnchanged: Bool {
        switch self {
        case .null, .bool, .int, .string: return true
        case .double(let d): return d.isFinite && d.rounded() != d
        case .array(let items): return items.allSatisfy(\.readsBackUnchanged)
        case .object(let fields): return fields.values.allSatisfy(\.readsBackUnchanged)
        }
    }
}
