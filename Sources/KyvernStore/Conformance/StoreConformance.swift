/// The behaviour every ``Store`` backend must show, written once and run by each backend's tests.
///
/// Each check receives a fresh, empty store, exercises one part of the contract and throws a
/// ``ConformanceFailure`` when the store deviates from it. A check may close the store it was
/// given; the harness should close the store afterwards and ignore ``StoreError/closed``.
///
/// A backend's test (Swift Testing) typically reads:
///
/// ```swift
/// @Test(arguments: StoreConformance.checks)
/// func conformance(_ check: StoreConformanceCheck) async throws {
///     let store = try makeFreshStore()
///     defer { ... }
///     try await check.run(store)
///     try? await store.close()
/// }
/// ```
///
/// Checks that wait for watch events use ``StoreConformance/timeout`` as their deadline, so a
/// store that never delivers fails instead of hanging.
public enum StoreConformance {
    /// How long a check waits for an expected watch event before failing.
    public static let timeout: Duration = .seconds(10)

    /// Every check, in a stable order.
    public static let checks: [StoreConformanceCheck] = basicChecks + rangeChecks + watchChecks
        + compactionChecks + concurrencyChecks + lifecycleChecks

    /// Looks a check up by name.
    public static func check(named name: String) -> StoreConformanceCheck? {
        checks.first { $0.name == name }
    }
}

/// One named expectation about a ``Store``.
public struct StoreConformanceCheck: Sendable, CustomStringConvertible {
    /// A short identifier, e.g. `"create.keyExists"`.
    public let name: String
    /// Runs the check against a fresh, empty store; throws ``ConformanceFailure`` on a deviation
    /// (and passes on any unexpected error the store throws).
    public let run: @Sendable (any Store) async throws -> Void

    public init(name: String, run: @escaping @Sendable (any Store) async throws -> Void) {
        self.name = name
        self.run = run
    }

    public var description: String { name }
}

/// An expectation of the conformance suite that a store did not meet.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var file: String
    public var line: Int

    public init(_ message: String, file: String = #fileID, line: Int = #line) {
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line): \(message)" }
}
