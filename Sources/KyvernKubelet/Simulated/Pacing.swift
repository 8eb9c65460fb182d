import Synchronization

/// Runs many small requests with a bound on how many are in flight, optionally spread evenly over
/// an interval, the way N separate kubelets would each act on their own timer.
enum Pacing {
    /// When item `index` of `count` starts, relative to the round's start: evenly spread over `interval`.
    static func offset(_ index: Int, of count: Int, over interval: Duration) -> Duration {
        guard count > 0 else { return .zero }
        return interval * (Double(index) / Double(count))
    }

    /// Calls `body` for `0..<count`, at most `limit` at once; with `interval`, item `i` starts no earlier
    /// than `offset(i, of: count, over: interval)` after the call. Returns when all have finished or,
    /// once cancelled, when those started have.
    static func run(count: Int, spreadOver interval: Duration? = nil, limit: Int,
                    _ body: @escaping @Sendable (Int) async -> Void) async {
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for index in 0..<count {
                if Task.isCancelled { break }
                if let interval {
                    let due = start + offset(index, of: count, over: interval)
                    if due > .now + .milliseconds(1) {
                        do { try await Task.sleep(until: due, clock: .continuous) } catch { break }
                    }
                }
                if inFlight >= limit {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await body(index) }
                inFlight += 1
            }
        }
    }
}

/// A value shared between the tasks of one loop.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        mutex.withLock { body(&$0) }
    }

    var value: Value { mutex.withLock { $0 } }
}

extension Duration {
    /// Seconds with a tenth's precision, for logs.
    var seconds: String {
        let (whole, fraction) = components
        let tenths = (Double(whole) + Double(fraction) / 1e18) * 10
        return String(Double(tenths.rounded()) / 10)
    }
}
