import KyvernClient
import Synchronization
import Testing
@testable import KyvernKubelet

/// Start steps (sandbox, container create and start) are bounded per node, so a hundred pods
/// starting at once are not a hundred runnable helper processes competing with the control plane.
@Suite(.timeLimit(.minutes(1))) struct StartStepTests {
    final class InFlight: Sendable {
        let state = Mutex((now: 0, most: 0, done: 0, released: false))
        func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { state.withLock { $0.now -= 1; $0.done += 1 } }
        var now: Int { state.withLock { $0.now } }
        var released: Bool { state.withLock { $0.released } }
        func release() { state.withLock { $0.released = true } }
    }

    struct Boom: Error {}

    @Test func noMoreThanTheLimitRunAtOnceAndAllRun() async throws {
        var harness = AgentHarness()
        harness.context.startSlots = AsyncSemaphore(limit: 2)
        let context = harness.context
        let inFlight = InFlight()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await context.startStep("start_container") {
                        inFlight.enter()
                        // Held until the test has seen the limit reached (no timing involved).
                        while !inFlight.released { try await Task.sleep(for: .milliseconds(2)) }
                        inFlight.leave()
                    }
                }
            }
            while inFlight.now < 2 { try await Task.sleep(for: .milliseconds(2)) }
            inFlight.release()
            try await group.waitForAll()
        }
        #expect(inFlight.state.withLock { $0.most } == 2)
        #expect(inFlight.state.withLock { $0.done } == 6)
        await harness.shutdown()
    }

    @Test func aFailedStepGivesItsSlotBack() async throws {
        var harness = AgentHarness()
        harness.context.startSlots = AsyncSemaphore(limit: 1)
        await #expect(throws: Boom.self) { try await harness.context.startStep("create_container") { throw Boom() } }
        // With the only slot still held this would never run (the suite's time limit fails it).
        let ran = try await harness.context.startStep("create_container") { true }
        #expect(ran)
        await harness.shutdown()
    }

    @Test func theDefaultAllowsSeveralAtOnce() {
        #expect(PodContext.startConcurrency >= 2)
    }
}
