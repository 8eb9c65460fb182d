import Foundation
import KyvernAPI
import KyvernTestSupport
import Logging
import Synchronization
import Testing

@testable import KyvernClient

/// One candidate's view of the shared fake server, which a test can cut off (a network partition).
final class PartitionableClient: KubernetesClient, Sendable {
    let base: FakeClient
    let cut = Mutex(false)

    init(_ base: FakeClient) { self.base = base }

    func partition(_ value: Bool) { cut.withLock { $0 = value } }

    private func check() throws {
        if cut.withLock({ $0 }) { throw APIError(code: 503, reason: "ServiceUnavailable", message: "partitioned") }
    }

    func get(_ ref: ResourceRef, namespace: String?, name: String) async throws -> JSONValue {
        try check(); return try await base.get(ref, namespace: namespace, name: name)
    }
    func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> JSONValue {
        try check(); return try await base.list(ref, namespace: namespace, options: options)
    }
    func watch(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try check(); return try await base.watch(ref, namespace: namespace, options: options)
    }
    func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try check(); return try await base.create(ref, namespace: namespace, object, options: options)
    }
    func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try check(); return try await base.update(ref, namespace: namespace, object, options: options)
    }
    func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try check(); return try await base.updateStatus(ref, namespace: namespace, object, options: options)
    }
    func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?, type: PatchType,
               _ patch: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try check()
        return try await base.patch(ref, namespace: namespace, name: name, subresource: subresource, type: type, patch, options: options)
    }
    func delete(_ ref: ResourceRef, namespace: String?, name: String, options: DeleteOptions) async throws -> JSONValue {
        try check(); return try await base.delete(ref, namespace: namespace, name: name, options: options)
    }
    func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                           _ body: JSONValue) async throws -> JSONValue {
        try check(); return try await base.createSubresource(ref, namespace: namespace, name: name, subresource: subresource, body)
    }
}

/// Who leads, as the bodies see it: the most that ever led at once, and the order of starts.
final class LeadershipLog: Sendable {
    private let state = Mutex((leading: Set<String>(), peak: 0, starts: [String](), stops: [String]()))

    func started(_ id: String) {
        state.withLock { $0.leading.insert(id); $0.peak = max($0.peak, $0.leading.count); $0.starts.append(id) }
    }
    func stopped(_ id: String) {
        state.withLock { _ = $0.leading.remove(id); $0.stops.append(id) }
    }
    var peak: Int { state.withLock { $0.peak } }
    var starts: [String] { state.withLock { $0.starts } }
    var stops: [String] { state.withLock { $0.stops } }
    var leading: Set<String> { state.withLock { $0.leading } }

    /// A body that leads until cancelled.
    func body(_ id: String) -> @Sendable () async throws -> Void {
        { [self] in
            started(id)
            defer { stopped(id) }
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }
}

@Suite("Leader election", .serialized)
struct LeaderElectorTests {
    /// Short but upstream-shaped timings: lease 2 s, renew deadline 1 s, retry 0.25 s.
    static func config(_ id: String) -> LeaderElectionConfig {
        LeaderElectionConfig(namespace: "kube-system", name: "kyvern-test", identity: id, leaseDuration: .seconds(2),
                             renewDeadline: .seconds(1), retryPeriod: .milliseconds(250))
    }

    static func lease(_ fake: FakeClient) -> JSONValue? {
        fake.object(.leases, namespace: "kube-system", name: "kyvern-test")
    }

    static func waitUntil(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func invalidTimingsAreRefused() {
        var config = Self.config("a")
        config.renewDeadline = .seconds(3)
        #expect(throws: LeaderElectionError.invalidConfiguration("leaseDuration must be greater than renewDeadline")) {
            try config.validate()
        }
        config = Self.config("a")
        config.retryPeriod = .seconds(1)
        #expect(throws: LeaderElectionError.invalidConfiguration("renewDeadline must be greater than retryPeriod*JitterFactor")) {
            try config.validate()
        }
        config = Self.config("")
        #expect(throws: LeaderElectionError.self) { try config.validate() }
        #expect(throws: Never.self) { try LeaderElectionConfig(namespace: "n", name: "l", identity: "i").validate() }
    }

    @Test func acquiresAnAbsentLeaseRenewsItAndReleasesItWhenTheBodyReturns() async throws {
        let fake = FakeClient()
        let elector = LeaderElector(client: fake, config: Self.config("a"), logger: Logger(label: "test"))
        let seen = Mutex<[JSONValue]>([])
        try await elector.run {
            seen.withLock { $0.append(Self.lease(fake) ?? .null) }
            try await Task.sleep(for: .milliseconds(900))
            seen.withLock { $0.append(Self.lease(fake) ?? .null) }
        }
        let (first, later) = seen.withLock { ($0[0], $0[1]) }
        let spec = first["spec"]
        #expect(spec?["holderIdentity"] == "a")
        #expect(spec?["leaseDurationSeconds"] == 2)
        #expect(spec?["leaseTransitions"] == 0)
        #expect(spec?["acquireTime"] == spec?["renewTime"])
        let acquire = try #require(spec?["acquireTime"]?.stringValue)
        #expect(acquire.count == 27 && acquire.hasSuffix("Z"))  // 2026-11-26T10:00:00.123456Z
        // Renewed in place: the same acquireTime and transitions, a later renewTime.
        #expect(later[path: ["spec", "holderIdentity"]] == "a")
        #expect(later[path: ["spec", "acquireTime"]]?.stringValue == acquire)
        let firstRenew = try #require(Timestamp.parseMicroseconds(spec?["renewTime"]?.stringValue ?? ""))
        let laterRenew = try #require(Timestamp.parseMicroseconds(later[path: ["spec", "renewTime"]]?.stringValue ?? ""))
        #expect(laterRenew > firstRenew)
        #expect(later[path: ["spec", "leaseTransitions"]] == 0)
        // The body returned: the lease is released for the next candidate.
        let released = Self.lease(fake)?["spec"]
        #expect(released?["holderIdentity"] == "")
        #expect(released?["leaseDurationSeconds"] == 1)
        #expect(released?["leaseTransitions"] == 0)
        let creates = fake.writes.filter { $0.verb == "create" }
        #expect(creates.count == 1)
    }

    @Test func aLeaderThatCannotRenewStopsLeadingWithinTheRenewDeadline() async throws {
        let fake = FakeClient()
        let client = PartitionableClient(fake)
        let log = LeadershipLog()
        let elector = LeaderElector(client: client, config: Self.config("a"), logger: Logger(label: "test"))
        let task = Task { try await elector.run(whileLeading: log.body("a")) }
        #expect(await Self.waitUntil { log.leading == ["a"] })
        client.partition(true)
        let cutAt = ContinuousClock.now
        #expect(await Self.waitUntil { log.stops == ["a"] })
        let stoppedAfter = ContinuousClock.now - cutAt
        #expect(stoppedAfter < .milliseconds(1500))  // renewDeadline 1 s after the last renewal, plus slack
        await #expect(throws: LeaderElectionError.leadershipLost(identity: "a")) { try await task.value }
    }

    @Test func aCandidateTakesOverOnlyAfterTheLeaseExpiredOnItsOwnClock() async throws {
        let fake = FakeClient()
        // Held by a dead leader; its renewTime (another machine's clock) is far in the past and is
        // not trusted: the candidate waits leaseDuration from when it first saw the record.
        try fake.seed(.leases, LeaderElectionRecord(
            holderIdentity: "dead", leaseDurationSeconds: 2, acquireTime: "2020-01-01T00:00:00.000000Z",
            renewTime: "2020-01-01T00:00:00.000000Z", leaseTransitions: 4).lease(namespace: "kube-system", name: "kyvern-test"))
        let log = LeadershipLog()
        let elector = LeaderElector(client: fake, config: Self.config("b"), logger: Logger(label: "test"))
        let start = ContinuousClock.now
        let task = Task { try await elector.run(whileLeading: log.body("b")) }
        #expect(await Self.waitUntil { log.leading == ["b"] })
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(1900))
        let spec = Self.lease(fake)?["spec"]
        #expect(spec?["holderIdentity"] == "b")
        #expect(spec?["leaseTransitions"] == 5)
        #expect(spec?["leaseDurationSeconds"] == 2)
        task.cancel()
        try await task.value
        #expect(Self.lease(fake)?[path: ["spec", "holderIdentity"]] == "")
    }

    @Test func twoCandidatesNeverLeadAtOnce() async throws {
        let fake = FakeClient()
        let clientA = PartitionableClient(fake)
        let clientB = PartitionableClient(fake)
        let log = LeadershipLog()
        let a = LeaderElector(client: clientA, config: Self.config("a"), logger: Logger(label: "a"))
        let b = LeaderElector(client: clientB, config: Self.config("b"), logger: Logger(label: "b"))
        let taskA = Task { try await a.run(whileLeading: log.body("a")) }
        #expect(await Self.waitUntil { log.leading == ["a"] })
        let taskB = Task { try await b.run(whileLeading: log.body("b")) }
        try await Task.sleep(for: .seconds(3))  // longer than the lease: b must keep waiting, a keeps renewing
        #expect(log.starts == ["a"])
        #expect(Self.lease(fake)?[path: ["spec", "holderIdentity"]] == "a")

        clientA.partition(true)  // a can no longer renew; b takes over once the lease expired
        #expect(await Self.waitUntil { log.leading == ["b"] })
        #expect(log.starts == ["a", "b"])
        #expect(log.stops.first == "a")
        #expect(log.peak == 1)
        let spec = Self.lease(fake)?["spec"]
        #expect(spec?["holderIdentity"] == "b")
        #expect(spec?["leaseTransitions"] == 1)
        await #expect(throws: LeaderElectionError.leadershipLost(identity: "a")) { try await taskA.value }

        // b stops gracefully and releases: a (healed) takes over without waiting out the lease.
        clientA.partition(false)
        let taskA2 = Task { try await a.run(whileLeading: log.body("a")) }
        try await Task.sleep(for: .milliseconds(300))
        taskB.cancel()
        try await taskB.value
        let releasedAt = ContinuousClock.now
        #expect(await Self.waitUntil { log.leading == ["a"] })
        #expect(ContinuousClock.now - releasedAt < .milliseconds(1500))
        #expect(log.peak == 1)
        taskA2.cancel()
        try await taskA2.value
    }
}
