import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("Audit event")
struct AuditEventTests {
    @Test func jsonLineHasUpstreamsFields() throws {
        let received = AuditTimestamp(Date(timeIntervalSince1970: 1_795_775_400.123456))
        var event = AuditEvent(level: .request, auditID: "0f4a6c2e-1111-2222-3333-444455556666", stage: .responseComplete,
                               requestURI: "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create",
                               verb: "create", user: UserInfo(name: "alice", uid: "u1", groups: ["dev"], extra: ["k": ["v"]]),
                               requestReceivedTimestamp: received, stageTimestamp: received)
        event.impersonatedUser = UserInfo(name: "bob", groups: ["ops"])
        event.sourceIPs = ["127.0.0.1"]
        event.userAgent = "kubectl/v1.31"
        event.objectRef = .init(resource: "configmaps", namespace: "default", name: "cm", apiVersion: "v1")
        event.responseStatus = ["metadata": .object([:]), "code": 201]
        event.requestObject = ["kind": "ConfigMap"]
        event.annotations = ["authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""]
        let line = event.jsonLine()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(!line.dropLast().contains(UInt8(ascii: "\n")))
        #expect(String(decoding: line, as: UTF8.self).hasPrefix(#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","#))
        let json = try JSONValue.parse(line.dropLast())
        #expect(json["level"] == "Request")
        #expect(json["auditID"] == "0f4a6c2e-1111-2222-3333-444455556666")
        #expect(json["stage"] == "ResponseComplete")
        #expect(json["verb"] == "create")
        #expect(json["user"] == ["username": "alice", "uid": "u1", "groups": ["dev"], "extra": ["k": ["v"]]])
        #expect(json["impersonatedUser"] == ["username": "bob", "groups": ["ops"]])
        #expect(json["sourceIPs"] == ["127.0.0.1"])
        #expect(json["userAgent"] == "kubectl/v1.31")
        #expect(json["objectRef"] == ["resource": "configmaps", "namespace": "default", "name": "cm", "apiVersion": "v1"])
        #expect(json["responseStatus"] == ["metadata": .object([:]), "code": 201])
        #expect(json["requestObject"] == ["kind": "ConfigMap"])
        #expect(json["responseObject"] == nil)
        #expect(json["requestReceivedTimestamp"] == "2026-11-27T10:30:00.123456Z")
        #expect(json["stageTimestamp"] == "2026-11-27T10:30:00.123456Z")
        #expect(json["annotations"]?["authorization.k8s.io/decision"] == "allow")
    }

    @Test func unauthenticatedUserIsEmptyObject() throws {
        let now = AuditTimestamp()
        let event = AuditEvent(level: .metadata, auditID: "id", stage: .responseStarted, requestURI: "/api", verb: "get",
                               user: nil, requestReceivedTimestamp: now, stageTimestamp: now)
        let json = try JSONValue.parse(event.jsonLine().dropLast())
        #expect(json["user"] == .object([:]))
        #expect(json["objectRef"] == nil && json["impersonatedUser"] == nil && json["annotations"] == nil)
    }

    @Test func backupStampsRoundTrip() throws {
        let time = AuditTimestamp(Date(timeIntervalSince1970: 1_795_775_400.5))
        #expect(time.backupStamp == "2026-11-27T10-30-00.500")
        let parsed = try #require(AuditTimestamp.parseBackupStamp(time.backupStamp))
        #expect(parsed.microseconds == time.microseconds)
    }
}
