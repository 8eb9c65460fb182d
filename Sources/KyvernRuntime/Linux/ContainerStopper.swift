#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGTERM, a grace period, then SIGKILL, waiting for the shim's exit record each time.
struct ContainerStopper: Sendable {
    let store: ContainerStateStore
    /// Signal the whole process group (plain processes) rather than the pid-namespace init.
    let signalsGroup: Bool

    func stop(_ record: ContainerRecord, gracePeriod: Duration) async throws {
        guard store.status(record).state == .running, let started = store.started(record.id) else { return }
        let target = signalsGroup ? -started.pid : started.pid
        if gracePeriod > .zero {
            kill(target, SIGTERM)
            if await waitForExit(record, within: gracePeriod) { return }
        }
        kill(target, SIGKILL)
        if await waitForExit(record, within: .seconds(10)) { return }
        throw RuntimeError.commandFailed(command: "stop container \(record.id)", exitCode: 1,
                                         output: "still running 10 s after SIGKILL")
    }

    /// Polls for the exit record (the shim writes it right after reaping the container).
    func waitForExit(_ record: ContainerRecord, within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var interval = Duration.milliseconds(2)
        while true {
            if store.status(record).state != .running { return true }
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: min(interval, deadline - clock.now))
            interval = min(interval * 2, .milliseconds(50))
        }
    }
}
