/// The behaviour every ``Store`` backend must show, written once and run by each backend's tests.
///
/// Each check receives a fresh store, exercises one part of the contract and throws a
/// ``ConformanceFailure`` when the store deviates from it. Checks count revisions from the
/// store's revision when they start, so a fresh store need not be at revision 0 (only
/// `revision.startsAtZero` asks that), but it must hold no keys and nobody else may write to it
/// meanwhile. A check may close the store it was given; the harness should close the store
/// afterwards and ignore ``StoreError/closed``.
///
/// A backend's test (Swift Testing) typically reads:
///
/// ```swift
/// @Test(arguments: StoreConformance.checks)
/// func conformance(_ check: StoreConformanceCheck) async throws {
///     let store = try makeFreshStore()
///     do {
///         try await check.run(store)
///     } catch let failure as ConformanceFailure {
///         Issue.record("\(failure)")
///     }
///     try? await store.close()
/// }
/// ```
///
/// Checks that wait for watch events use ``StoreConformance/timeout`` as their deadline, so a
/// store that never delivers fails instead of hanging.
public enum StoreConformance {
    /// How long a check waits for an expected watch event, or for a batch of writes, before
    /// failing (generous: every write is an fsync, and test runners run checks in parallel).
    public static let timeout: Duration = .seconds(30)

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
