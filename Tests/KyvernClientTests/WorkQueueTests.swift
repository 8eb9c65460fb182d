import Synchronization
import Testing
@testable import KyvernClient

@Suite(.timeLimit(.minutes(1))) struct WorkQueueTests {
    @Test func duplicateAddsCollapseAndOrderIsKept() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        await queue.add("b")
        await queue.add("a")
        #expect(await queue.count == 2)
        #expect(await queue.get() == "a")
        #expect(await queue.get() == "b")
        #expect(await queue.count == 0)
    }

    @Test func aKeyBeingProcessedIsRequeuedOnlyAfterDone() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        #expect(await queue.get() == "a")
        await queue.add("a")
        await queue.add("a")
        // Not handed out again while processing.
        #expect(await queue.count == 0)
        await queue.add("b")
        #expect(await queue.get() == "b")
        await queue.done("a")
        #expect(await queue.count == 1)
        #expect(await queue.get() == "a")
        await queue.done("a")
        await queue.done("b")
        #expect(await queue.count == 0)
        #expect(await queue.processingCount == 0)
    }

    @Test func getSuspendsUntilAnAddAndShutDownWakesWithNil() async {
        let queue = WorkQueue<Int>()
        await withTaskGroup(of: Int?.self) { group in
            group.addTask { await queue.get() }
            group.addTask { await queue.get() }
            try? await Task.sleep(for: .milliseconds(50))
            await queue.add(7)
            let first = await group.next()!
            #expect(first == 7)
            await queue.shutDown()
            let second = await group.next()!
            #expect(second == nil)
        }
        await queue.add(8)
        #expect(await queue.get() == nil)
        #expect(await queue.count == 0)
    }

    @Test func cancellingAWaitingGetReturnsNil() async {
        let queue = WorkQueue<Int>()
        let got = await withTaskGroup(of: Int?.self) { group in
            group.addTask { await queue.get() }
            try? await Task.sleep(for: .milliseconds(50))
            group.cancelAll()
            return await group.next()!
        }
        #expect(got == nil)
        // The queue still works for others.
        await queue.add(1)
        #expect(await queue.get() == 1)
    }

    @Test func addAfterDelaysAndKeepsTheEarlierTime() async {
        let queue = WorkQueue<String>()
        let clock = ContinuousClock()
        let start = clock.now
        await queue.addAfter("late", delay: .milliseconds(300))
        await queue.addAfter("soon", delay: .milliseconds(100))
        await queue.addAfter("soon", delay: .seconds(10))
        #expect(await queue.count == 0)
        #expect(await queue.delayedCount == 2)
        #expect(await queue.get() == "soon")
        // Order proves the earlier time stood; the bound only rules out the 10 s one (loose, as a
        // loaded CI machine may wake late).
        #expect(clock.now - start >= .milliseconds(100))
        #expect(clock.now - start < .seconds(5))
        #expect(await queue.get() == "late")
        #expect(clock.now - start >= .milliseconds(300))
        await queue.addAfter("now", delay: .zero)
        #expect(await queue.count == 1)
    }

    @Test func aWaitingWorkerWakesForAnEarlierDelayedKey() async {
        let queue = WorkQueue<String>()
        await queue.addAfter("far", delay: .seconds(30))
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await queue.get() }
            try? await Task.sleep(for: .milliseconds(30))
            await queue.addAfter("near", delay: .milliseconds(50))
            #expect(await group.next()! == "near")
        }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func rateLimitedBackoffGrowsPerKeyUntilForgotten() async {
        let queue = WorkQueue<String>(rateLimiter: .init(baseDelay: .seconds(1), maxDelay: .seconds(100)))
        let clock = ContinuousClock()
        await queue.addRateLimited("a")
        await queue.addRateLimited("a")
        await queue.addRateLimited("a")
        #expect(await queue.numRequeues("a") == 3)
        #expect(await queue.numRequeues("b") == 0)
        // The first delay (1 s) stands: a key already delayed keeps its earlier time (the third
        // would be 4 s; the margin allows a loaded machine to wake late).
        let start = clock.now
        #expect(await queue.get() == "a")
        #expect(clock.now - start < .milliseconds(2500))
        await queue.done("a")
        await queue.forget("a")
        #expect(await queue.numRequeues("a") == 0)
    }

    @Test func controllerRateLimiterMatchesUpstream() {
        var limiter = RateLimiter<String>(.controllerDefault)
        let now = ContinuousClock.now
        // Exponential per key: 5 ms, 10 ms, 20 ms, ...
        #expect(limiter.when("a", now: now) == .milliseconds(5))
        #expect(limiter.when("a", now: now) == .milliseconds(10))
        #expect(limiter.when("a", now: now) == .milliseconds(20))
        #expect(limiter.when("b", now: now) == .milliseconds(5))
        for _ in 3..<30 { _ = limiter.when("a", now: now) }
        #expect(limiter.when("a", now: now) == .seconds(1000))
        #expect(limiter.numRequeues("a") == 31)
        limiter.forget("a")
        #expect(limiter.numRequeues("a") == 0)

        // The bucket: 100 at once, then 10 per second.
        var bucket = RateLimiter<Int>(.controllerDefault)
        var delays: [Duration] = []
        for i in 0..<102 { delays.append(bucket.when(i, now: now)) }
        #expect(delays[0..<100].allSatisfy { $0 == .milliseconds(5) })
        #expect(delays[100] == .milliseconds(100))
        #expect(delays[101] == .milliseconds(200))
        // One second later 10 tokens came back and paid the debt of 2: 8 retries are free again.
        let later = now + .seconds(1)
        #expect((500..<508).map { bucket.when($0, now: later) }.allSatisfy { $0 == .milliseconds(5) })
        #expect(bucket.when(508, now: later) == .milliseconds(100))
        // The bucket never holds more than the burst.
        let muchLater = now + .seconds(60)
        #expect((600..<700).map { bucket.when($0, now: muchLater) }.allSatisfy { $0 == .milliseconds(5) })
        #expect(bucket.when(700, now: muchLater) == .milliseconds(100))
    }

    /// Many workers, many adds of few keys: a key is never held by two workers at once, and
    /// every key added after its last processing began is processed again.
    @Test func concurrentWorkersNeverShareAKey() async {
        let queue = WorkQueue<Int>()
        let held = Locked<Set<Int>>([])
        let overlaps = Locked(0)
        let processed = Locked<[Int: Int]>([:])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let key = await queue.get() {
                        let fresh = held.withLock { $0.insert(key).inserted }
                        if !fresh { overlaps.withLock { $0 += 1 } }
                        await Task.yield()
                        held.withLock { _ = $0.remove(key) }
                        processed.withLock { $0[key, default: 0] += 1 }
                        await queue.done(key)
                    }
                }
            }
            group.addTask {
                for round in 0..<200 {
                    for key in 0..<10 { await queue.add(key) }
                    if round % 20 == 0 { await Task.yield() }
                }
                // Drain, then stop the workers.
                while true {
                    let queued = await queue.count, busy = await queue.processingCount
                    if queued == 0 && busy == 0 { break }
                    await Task.yield()
                }
                await queue.shutDown()
            }
        }
        #expect(overlaps.withLock { $0 } == 0)
        #expect(processed.withLock { $0.keys.sorted() } == Array(0..<10))
    }
}

/// Shared mutable state for test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R: Sendable>(_ body: (inout sending Value) -> R) -> R {
        mutex.withLock { body(&$0) }
    }
}
