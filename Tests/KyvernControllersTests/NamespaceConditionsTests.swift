import Foundation
import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct NamespaceConditionsTests {
    let now = Timestamp.parse("2026-01-01T01:00:00Z")!

    @Test func namespaceConditionsAsUpstream() {
        var conditions = NamespaceConditions()
        conditions.remaining = ["pods.": 2, "deployments.apps": 1]
        conditions.finalizersRemaining = ["example.com/x": 1]
        let applied = conditions.apply(to: [], now: now)
        #expect(applied.map { $0["type"]!.stringValue! } == NamespaceConditions.types)
        let byType = Dictionary(uniqueKeysWithValues: applied.map { ($0["type"]!.stringValue!, $0) })
        #expect(byType["NamespaceContentRemaining"]?["message"] == "Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances")
        #expect(byType["NamespaceFinalizersRemaining"]?["reason"] == "SomeFinalizerRemain")
        #expect(byType["NamespaceFinalizersRemaining"]?["message"] == "Some finalizers are remaining: example.com/x in 1 resource instances")
        #expect(byType["NamespaceDeletionContentFailure"]?["status"] == "False")
        #expect(byType["NamespaceDeletionContentFailure"]?["message"] == "All content successfully deleted, may be waiting on finalization")
        #expect(!conditions.isDone)
        // once all is gone the same conditions flip to False, with new transition times
        let later = now.addingTimeInterval(5)
        let done = NamespaceConditions().apply(to: applied, now: later)
        let remaining = done.first { $0["type"] == "NamespaceContentRemaining" }!
        #expect(remaining["status"] == "False" && remaining["reason"] == "ContentRemoved")
        #expect(remaining["lastTransitionTime"] == .string(Timestamp.format(later)))
        let unchanged = done.first { $0["type"] == "NamespaceDeletionDiscoveryFailure" }!
        #expect(unchanged["lastTransitionTime"] == .string(Timestamp.format(now)))
        #expect(NamespaceConditions().isDone)
    }
}
