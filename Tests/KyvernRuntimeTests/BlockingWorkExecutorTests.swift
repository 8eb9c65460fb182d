import Foundation
import Glibc
import Testing
@testable import KyvernRuntime

/// The runtime's and the volumes' actors run on threads of their own, not on Swift's cooperative
/// pool, so their blocking system calls hold up none of the process's other tasks.
@Suite struct BlockingWorkExecutorTests {
    actor OnBlockingThread {
        private nonisolated let executor = BlockingWorkExecutor.next()
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

        func threadName() -> String { BlockingWorkExecutorTests.currentThreadName() }
    }

    /// The calling thread's name, as the kernel has it.
    static func currentThreadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func anActorOnItRunsOnAnEventLoopThreadNotTheCooperativePool() async {
        let name = await OnBlockingThread().threadName()
        #expect(name.hasPrefix("NIO-ELT"))
        #expect(name != Self.currentThreadName())
    }

    @Test func blockingCallsThereLeaveOtherTasksRunning() async throws {
        // Two actors, two threads blocked for 1.5 s, as slow mkdirs or mounts would be. On the
        // cooperative pool (one thread per core, two here) that would stop every other task.
        let actors = [OnBlockingThread(), OnBlockingThread()]
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for actor in actors { group.addTask { _ = await actor.blockFor(milliseconds: 1500) } }
            try await Task.sleep(for: .milliseconds(100))
            for _ in 0..<8 { group.addTask { try await Task.sleep(for: .milliseconds(20)) } }
            for _ in 0..<8 { try await group.next() }
            #expect(clock.now - start < .milliseconds(1200))
            try await group.waitForAll()
        }
    }
}

extension BlockingWorkExecutorTests.OnBlockingThread {
    func blockFor(milliseconds: Int) -> Bool {
        usleep(useconds_t(milliseconds * 1000))
        return true
    }
}
