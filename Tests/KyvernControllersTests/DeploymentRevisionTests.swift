import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct DeploymentRevisionTests {
    typealias F = DeploymentFixtures

    @Test func newReplicaSetGetsRevisionReplicaAnnotationsAndDeploymentAnnotations() {
        var d = F.deployment(replicas: 4)
        d.annotations = ["team": "a", DeploymentKeys.revision: "7", DeploymentKeys.lastAppliedConfiguration: "{}"]
        var rs = F.replicaSet("web-new", replicas: 0)
        #expect(RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs, newRevision: 1, exists: false))
        #expect(rs.annotations == ["team": "a", DeploymentKeys.revision: "1",
                                   DeploymentKeys.desiredReplicas: "4", DeploymentKeys.maxReplicas: "5"])
        #expect(!RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs, newRevision: 1, exists: true))
    }

    @Test func rollbackBumpsRevisionAndRemembersHistory() {
        let d = F.deployment()
        var rs = F.replicaSet("web-a", replicas: 0, revision: 1)
        #expect(RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs, newRevision: 3, exists: true))
        #expect(rs.annotations[DeploymentKeys.revision] == "3")
        #expect(rs.annotations[DeploymentKeys.revisionHistory] == "1")
        _ = RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs, newRevision: 5, exists: true)
        #expect(rs.annotations[DeploymentKeys.revision] == "5")
        #expect(rs.annotations[DeploymentKeys.revisionHistory] == "1,3")
        // A higher revision already on the ReplicaSet is kept.
        #expect(!RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs, newRevision: 4, exists: true))
    }

    @Test func maxRevisionIgnoresMissingAndMalformed() {
        var bad = F.replicaSet("web-x", replicas: 0)
        bad.annotations = [DeploymentKeys.revision: "x"]
        let rs = [F.replicaSet("web-a", replicas: 0, revision: 2), F.replicaSet("web-b", replicas: 0), bad,
                  F.replicaSet("web-c", replicas: 0, revision: 9)]
        #expect(RevisionAnnotations.maxRevision(rs) == 9)
        #expect(RevisionAnnotations.maxRevision([]) == 0)
    }

    @Test func historyIsTrimmedFromTheOldestEnd() {
        let long = (1...600).map(String.init).joined(separator: ",")
        let appended = RevisionAnnotations.appendedHistory(long, "601")!
        #expect(appended.count <= DeploymentKeys.maxRevisionHistoryLength)
        #expect(appended.hasSuffix(",600,601"))
        #expect(!appended.hasPrefix("1,"))
        #expect(RevisionAnnotations.appendedHistory("", "4") == "4")
    }
}
