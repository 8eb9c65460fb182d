// Expectations, a reference model of the store and a watch recorder used by the conformance checks.

// MARK: - Expectations

func fail(_ message: String, file: String = #fileID, line: Int = #line) -> ConformanceFailure {
    ConformanceFailure(message, file: file, line: line)
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
    if !condition { throw ConformanceFailure(message(), file: file, line: line) }
}

func expectEqual<T: Equatable>(
    _ actual: T, _ expected: T, _ what: @autoclosure () -> String = "",
    file: String = #fileID, line: Int = #line
) throws {
    if actual != expected {
        let prefix = what()
        throw ConformanceFailure(
            "\(prefix.isEmpty ? "" : prefix + ": ")expected \(expected), got \(actual)", file: file, line: line)
    }
}

/// The cases of ``StoreError`` without their payloads, to say which one a call must throw.
enum StoreErrorKind: String, Sendable {
    case keyExists, notFound, conflict, compacted, futureRevision, closed, backend
}

extension StoreError {
    var kind: StoreErrorKind {
        switch self {
        case .keyExists: .keyExists
        case .notFound: .notFound
        case .conflict: .conflict
        case .compacted: .compacted
        case .futureRevision: .futureRevision
        case .closed: .closed
        case .backend: .backend
        }
    }
}

/// Runs `body` and expects it to throw the ``StoreError`` of kind `kind`; returns that error.
@discardableResult
func expectError<T>(
    _ kind: StoreErrorKind, _ what: String, file: String = #fileID, line: Int = #line,
    _ body: () async throws -> T
) async throws -> StoreError {
    let result: T
    do {
        result = try await body()
    } catch let error as StoreError {
        if error.kind != kind {
            throw ConformanceFailure("\(what): expected StoreError.\(kind.rawValue), got \(error)", file: file, line: line)
        }
        return error
    } catch let error as ConformanceFailure {
        throw error
    } catch {
        throw ConformanceFailure("\(what): expected StoreError.\(kind.rawValue), got \(error)", file: file, line: line)
    }
    throw ConformanceFailure("\(what): expected StoreError.\(kind.rawValue), got success: \(result)", file: file, line: line)
}

/// Runs `body`, failing if it has not finished within ``StoreConformance/timeout``.
func withDeadline<T: Sendable>(
    _ what: String, timeout: Duration = StoreConformance.timeout, file: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw ConformanceFailure("\(what): did not finish within \(timeout)", file: file, line: line)
        }
        return value
    }
}

/// Byte order of UTF-8, the order of keys in a store.
func keyPrecedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

func describe(_ kvs: [KeyValue]) -> String {
    "[" + kvs.map { "\($0.key)@\($0.createRevision)/\($0.modRevision)(\($0.value.count)B)" }.joined(separator: ", ") + "]"
}

func describe(_ events: [StoreEvent]) -> String {
    "[" + events.map { e in
        "\(e.kind == .put ? "PUT" : "DEL") \(e.kv.key)@\(e.revision)" + (e.previous.map { " prev@\($0.modRevision)" } ?? "")
    }.joined(separator: ", ") + "]"
}

/// The part of an event every backend must agree on: a delete event's `kv.createRevision` is
/// left to the backend (etcd reports 0).
func normalized(_ event: StoreEvent) -> StoreEvent {
    var e = event
    if e.kind == .delete { e.kv.createRevision = 0 }
    return e
}

func expectEvents(
    _ actual: [StoreEvent], _ expected: [StoreEvent], _ what: String,
    file: String = #fileID, line: Int = #line
) throws {
    let a = actual.map(normalized), b = expected.map(normalized)
    if a == b { return }
    if a.count != b.count {
        throw ConformanceFailure(
            "\(what): expected \(b.count) events \(describe(b)), got \(a.count) \(describe(a))", file: file, line: line)
    }
    for (i, (x, y)) in zip(a, b).enumerated() where x != y {
        throw ConformanceFailure("\(what): event \(i) differs: expected \(y), got \(x)", file: file, line: line)
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

// MARK: - Reference model

/// A reference model of the store, fed by the writes a check performs: it checks each write's
/// result and knows the expected state at every revision and the expected events.
///
/// Revisions are counted from the store's revision when the model was made (`base`), so the
/// checks hold for a backend whose fresh store does not start at 0 (a new etcd starts at 1).
struct Model {
    private(set) var events: [StoreEvent] = []
    private(set) var live: [String: KeyValue] = [:]
    /// The store's revision before the check's first write.
    let base: Int64
    private(set) var revision: Int64

    init(_ store: any Store) async throws {
        base = try await store.currentRevision()
        revision = base
    }

    /// The revision of the check's `n`th write.
    func rev(_ n: Int64) -> Int64 { base + n }

    /// Every revision the check wrote.
    var writtenRevisions: ClosedRange<Int64> { (base + 1)...max(base + 1, revision) }

    @discardableResult
    mutating func create(
        _ store: any Store, _ key: String, _ value: [UInt8], file: String = #fileID, line: Int = #line
    ) async throws -> KeyValue {
        let kv = try await store.create(key: key, value: value)
        let rev = revision + 1
        try expectEqual(kv, KeyValue(key: key, value: value, createRevision: rev, modRevision: rev),
                        "create \(key)", file: file, line: line)
        revision = rev
        live[key] = kv
        events.append(StoreEvent(kind: .put, kv: kv, previous: nil))
        return kv
    }

    @discardableResult
    mutating func create(
        _ store: any Store, _ key: String, _ value: String, file: String = #fileID, line: Int = #line
    ) async throws -> KeyValue {
        try await create(store, key, bytes(value), file: file, line: line)
    }

    @discardableResult
    mutating func update(
        _ store: any Store, _ key: String, _ value: String, file: String = #fileID, line: Int = #line
    ) async throws -> KeyValue {
        guard let previous = live[key] else { throw fail("model: \(key) is not live", file: file, line: line) }
        let kv = try await store.update(key: key, value: bytes(value), expectedRevision: previous.modRevision)
        let rev = revision + 1
        try expectEqual(kv, KeyValue(key: key, value: bytes(value), createRevision: previous.createRevision, modRevision: rev),
                        "update \(key)", file: file, line: line)
        revision = rev
        live[key] = kv
        events.append(StoreEvent(kind: .put, kv: kv, previous: previous))
        return kv
    }

    @discardableResult
    mutating func delete(
        _ store: any Store, _ key: String, checked: Bool = true, file: String = #fileID, line: Int = #line
    ) async throws -> Int64 {
        guard let previous = live[key] else { throw fail("model: \(key) is not live", file: file, line: line) }
        let result = try await store.delete(key: key, expectedRevision: checked ? previous.modRevision : nil)
        let rev = revision + 1
        try expectEqual(result.revision, rev, "delete \(key) revision", file: file, line: line)
        try expectEqual(result.previous, previous, "delete \(key) previous", file: file, line: line)
        revision = rev
        live[key] = nil
        events.append(StoreEvent(kind: .delete, kv: KeyValue(key: key, value: [], createRevision: 0, modRevision: rev),
                                 previous: previous))
        return rev
    }

    /// The live keys as of `revision`.
    func snapshot(at revision: Int64) -> [String: KeyValue] {
        var state: [String: KeyValue] = [:]
        for event in events where event.revision <= revision {
            switch event.kind {
            case .put: state[event.kv.key] = event.kv
            case .delete: state[event.kv.key] = nil
            }
        }
        return state
    }

    /// The expected result of a range over `prefix` at `revision` (nil: newest).
    func range(prefix: String, at revision: Int64? = nil) -> [KeyValue] {
        let state = revision.map { snapshot(at: $0) } ?? live
        return state.values.filter { $0.key.utf8.starts(with: prefix.utf8) }.sorted { keyPrecedes($0.key, $1.key) }
    }

    /// The expected events of a watch on `prefix` from `startRevision`.
    func events(prefix: String, from startRevision: Int64) -> [StoreEvent] {
        events.filter { $0.revision >= startRevision && $0.kv.key.utf8.starts(with: prefix.utf8) }
    }

    /// Checks `get` of every key ever written at `revision` and a range over "" at it.
    func verifyReads(_ store: any Store, at revision: Int64, file: String = #fileID, line: Int = #line) async throws {
        let state = snapshot(at: revision)
        let keys = Set(events.map(\.kv.key))
        for key in keys.sorted() {
            let got = try await store.get(key: key, revision: revision)
            try expectEqual(got, state[key], "get \(key) at \(revision)", file: file, line: line)
        }
        let result = try await store.range(prefix: "", startKey: nil, limit: nil, revision: revision)
        let expected = range(prefix: "", at: revision)
        try expect(result.items == expected,
                   "range at \(revision): expected \(describe(expected)), got \(describe(result.items))",
                   file: file, line: line)
        try expectEqual(result.revision, revision, "range at \(revision): served revision", file: file, line: line)
        try expectEqual(result.more, false, "range at \(revision): more", file: file, line: line)
    }
}

// MARK: - Watch recorder

/// Consumes a watch stream in its own task and records what arrives, so checks can wait for
/// events with a deadline.
actor WatchRecorder {
    private(set) var batches: [[StoreEvent]] = []
    private(set) var failure: (any Error)?
    private(set) var finished = false
    private var task: Task<Void, Never>?

    static func start(_ stream: AsyncThrowingStream<[StoreEvent], any Error>) async -> WatchRecorder {
        let recorder = WatchRecorder()
        await recorder.consume(stream)
        return recorder
    }

    private func consume(_ stream: AsyncThrowingStream<[StoreEvent], any Error>) {
        task = Task.detached { [weak self] in
            do {
                for try await batch in stream {
                    guard let self else { return }
                    await self.append(batch)
                }
                await self?.finish(nil)
            } catch {
                await self?.finish(error)
            }
        }
    }

    deinit {
        task?.cancel()
    }

    private func append(_ batch: [StoreEvent]) { batches.append(batch) }

    private func finish(_ error: (any Error)?) {
        failure = error
        finished = true
    }

    var events: [StoreEvent] { batches.flatMap { $0 } }

    /// Waits until at least `count` events arrived; fails on timeout or if the stream ended.
    func waitForEvents(_ count: Int, _ what: String, file: String = #fileID, line: Int = #line) async throws -> [StoreEvent] {
        let deadline = ContinuousClock.now + StoreConformance.timeout
        while events.count < count {
            if finished {
                throw ConformanceFailure(
                    "\(what): watch ended (\(failure.map { "\($0)" } ?? "no error")) after \(events.count) of \(count) events",
                    file: file, line: line)
            }
            if ContinuousClock.now > deadline {
                throw ConformanceFailure(
                    "\(what): only \(events.count) of \(count) events within \(StoreConformance.timeout): \(describe(events))",
                    file: file, line: line)
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return events
    }

    /// Waits until the stream ended; returns its error (nil if it finished normally).
    func waitForEnd(_ what: String, file: String = #fileID, line: Int = #line) async throws -> (any Error)? {
        let deadline = ContinuousClock.now + StoreConformance.timeout
        while !finished {
            if ContinuousClock.now > deadline {
                throw ConformanceFailure("\(what): watch did not end within \(StoreConformance.timeout)", file: file, line: line)
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return failure
    }

    /// Waits `quiet` and checks that exactly `expected` events arrived, in non-empty batches in
    /// strictly increasing revision order.
    func expectExactly(
        _ expected: [StoreEvent], _ what: String, quiet: Duration = .milliseconds(100),
        file: String = #fileID, line: Int = #line
    ) async throws {
        _ = try await waitForEvents(expected.count, what, file: file, line: line)
        try await Task.sleep(for: quiet)
        try expect(!batches.contains { $0.isEmpty }, "\(what): the watch delivered an empty batch", file: file, line: line)
        let revisions = events.map(\.revision)
        try expect(zip(revisions, revisions.dropFirst()).allSatisfy { $0 < $1 },
                   "\(what): revisions not strictly increasing: \(revisions)", file: file, line: line)
        try expectEvents(events, expected, what, file: file, line: line)
    }

    /// Stops consuming (cancels the consuming task), which ends the watch.
    func stop() {
        task?.cancel()
    }

    /// The consuming task, to observe its end after ``stop()``.
    var consumer: Task<Void, Never>? { task }
}
