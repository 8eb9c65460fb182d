public import Foundation

/// Where the agent reads the time and waits, so that back-off and probe timings can be tested by
/// moving a clock instead of waiting for real.
public protocol AgentClock: Sendable {
    func now() -> Date
    func sleep(for duration: Duration) async throws
}

/// The wall clock and real sleeps.
public struct SystemAgentClock: AgentClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

extension Duration {
    var asSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
