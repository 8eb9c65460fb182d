import Testing
@testable import KyvernAPIServer

@Suite struct UpgradeRefusalsTests {
    struct Refused: Error, Equatable { var reason: String }

    @Test func aRefusalIsTakenOnceBySameUser() async {
        let refusals = UpgradeRefusals()
        await refusals.remember(Refused(reason: "denied"), key: "k1", user: "alice")
        #expect(await refusals.take(key: "k1", user: "alice") as? Refused == Refused(reason: "denied"))
        #expect(await refusals.take(key: "k1", user: "alice") == nil)
    }

    @Test func anotherUserOrKeyGetsNothing() async {
        let refusals = UpgradeRefusals()
        await refusals.remember(Refused(reason: "denied"), key: "k1", user: "alice")
        #expect(await refusals.take(key: "k2", user: "alice") == nil)
        #expect(await refusals.take(key: "k1", user: "mallory") == nil)
        // A wrong user's attempt consumed it: the real request then checks again, as before.
        #expect(await refusals.take(key: "k1", user: "alice") == nil)
    }

    @Test func staleRefusalsAreDroppedAndTheTableIsBounded() async throws {
        let refusals = UpgradeRefusals(lifetime: .milliseconds(50), capacity: 3)
        await refusals.remember(Refused(reason: "old"), key: "old", user: "u")
        try await Task.sleep(for: .milliseconds(80))
        #expect(await refusals.take(key: "old", user: "u") == nil)
        for index in 0..<5 { await refusals.remember(Refused(reason: "\(index)"), key: "k\(index)", user: "u") }
        #expect(await refusals.take(key: "k0", user: "u") == nil)
        #expect(await refusals.take(key: "k4", user: "u") as? Refused == Refused(reason: "4"))
    }
}
