import Foundation
import Testing
@testable import KyvernRuntime

/// The runtime's and the volumes' actors run on threads of their own, not on Swift's cooperative
/// pool, so their blocking system calls hold up none of the process's other tasks. (Checked by the
/// thread an actor's method runs on: a timing check of the pool is unreliable in a full parallel
/// run, where other tests load the same pool.)
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
}
