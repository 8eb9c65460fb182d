import Foundation
import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct UnschedulableStatusTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func firstFailureWritesTheCondition() throws {
        let patch = try #require(UnschedulableStatus.patch(for: Fixtures.pod("p"), message: "0/1 nodes are available.",
                                                           nominatedNodeName: nil, now: now))
        #expect(patch == ["status": ["conditions": [[
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/1 nodes are available.", "lastProbeTime": nil,
            "lastTransitionTime": .string(Timestamp.format(now)),
        ]]]])
    }

    @Test func sameConditionIsNotWrittenAgain() {
        var pod = Fixtures.pod("p")
        pod[path: ["status", "conditions"]] = [[
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "m",
            "lastTransitionTime": "2020-01-01T00:00:00Z",
        ]]
        #expect(UnschedulableStatus.patch(for: pod, message: "m", nominatedNodeName: nil, now: now) == nil)
        // A new message keeps the transition time: the status did not change.
        let patch = UnschedulableStatus.patch(for: pod, message: "other", nominatedNodeName: nil, now: now)
        #expect(patch?[path: ["status", "conditions"]]?.arrayValue?.first?["lastTransitionTime"]
            == "2020-01-01T00:00:00Z")
        // A nomination alone is written without repeating the condition.
        let nominated = UnschedulableStatus.patch(for: pod, message: "m", nominatedNodeName: "n1", now: now)
        #expect(nominated == ["status": ["nominatedNodeName": "n1"]])
    }
}
