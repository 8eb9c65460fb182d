import Foundation
import HTTPTypes
import Hummingbird
import KyvernAPI

/// The audit trail of one request: its id (`Audit-Id`), then, once access is decided, the level
/// the policy gives it, and the events of its stages.
struct AuditRecord: Sendable {
    let log: AuditLog
    let auditID: String
    let received = AuditTimestamp()
    private let requestURI: String
    private let attributes: AuthorizationAttributes
    private let sourceIPs: [String]
    private let userAgent: String?
    private var event: AuditEvent?
    private var omitStages: Set<AuditStage> = []
    /// The request body, kept from level Request for writes.
    private var requestObject: JSONValue?
    /// The reply, kept at level RequestResponse.
    private var responseObject: JSONValue?

    init(log: AuditLog, request: Request, target: RequestTarget?) {
        self.log = log
        let given = request.headers[HTTPField.Name("Audit-ID")!] ?? ""
        auditID = given.isEmpty ? UUID().uuidString.lowercased() : given
        requestURI = request.uri.string
        attributes = AuthorizationAttributes.of(method: request.method.rawValue, path: request.uri.path, target: target,
                                                query: QueryParameters(request.uri.query), user: UserInfo(name: "", groups: []))
        var ips = (request.headers[HTTPField.Name("X-Forwarded-For")!] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let peer = ConnectionPeer.address, !ips.contains(peer) { ips.append(peer) }
        sourceIPs = ips
        userAgent = request.headers[.userAgent]
    }

    /// The level the policy gives the request, judged on the authenticated user (not the one it
    /// impersonates), as upstream does; writes `RequestReceived` unless authentication failed.
    mutating func admitted(_ outcome: AccessOutcome) {
        var attributes = self.attributes
        attributes.user = outcome.requester ?? UserInfo(name: "", groups: [])
        let (level, omitStages) = log.policy.evaluate(attributes, user: outcome.requester)
        guard level > .none else { return }
        self.omitStages = omitStages
        var event = AuditEvent(level: level, auditID: auditID, stage: .requestReceived, requestURI: requestURI,
                               verb: attributes.verb, user: outcome.requester, requestReceivedTimestamp: received,
                               stageTimestamp: AuditTimestamp())
        event.impersonatedUser = outcome.impersonated
        event.sourceIPs = sourceIPs
        event.userAgent = userAgent
        if attributes.isResourceRequest {
            event.objectRef = .init(resource: attributes.resource, namespace: attributes.namespace, name: attributes.name,
                                    apiGroup: attributes.apiGroup, apiVersion: attributes.apiVersion,
                                    subresource: attributes.subresource)
        }
        if outcome.requester != nil { emit(event) }
        if let decision = outcome.decision {
            event.annotations["authorization.k8s.io/decision"] = decision.allowed ? "allow" : "forbid"
            event.annotations["authorization.k8s.io/reason"] = decision.reason
        }
        self.event = event
    }

    /// A write's body: names the object in `objectRef` and, from level Request, is logged.
    mutating func requestBody(_ body: [UInt8], contentType: String?) {
        guard var event, !body.isEmpty,
              let object = try? BodyDecoder.decode(body, contentType: contentType, what: "") else { return }
        if event.objectRef?.name.isEmpty == true, let name = object["metadata"]?["name"]?.stringValue {
            event.objectRef?.name = name
        }
        self.event = event
        if event.level >= .request { requestObject = trimmed(object) }
    }

    /// Annotations admission left for the event (PodSecurity, ValidatingAdmissionPolicy audits).
    mutating func annotate(_ annotations: [String: String]) {
        guard var event, !annotations.isEmpty else { return }
        event.annotations.merge(annotations) { _, new in new }
        self.event = event
    }

    /// A JSON reply, logged at level RequestResponse.
    mutating func responseBody(_ body: [UInt8], contentType: String) {
        guard let event, event.level >= .requestResponse,
              let object = try? BodyDecoder.decode(body, contentType: contentType, what: "") else { return }
        responseObject = trimmed(object)
    }

    /// Writes the final stage — `ResponseComplete`, or `ResponseStarted` for a failed
    /// authentication and a watch, whose body then ends with `ResponseComplete` — and sets `Audit-Id`.
    func finish(_ response: inout Response, error: APIError?, longRunning: Bool) {
        response.headers[HTTPField.Name("Audit-Id")!] = auditID
        guard var event else { return }
        let code = Int64(response.status.code)
        if let error {
            var status = error.status.objectValue ?? [:]
            status["kind"] = nil
            status["apiVersion"] = nil
            status["metadata"] = .object([:])
            status["code"] = .int(code)
            event.responseStatus = .object(status)
        } else {
            event.responseStatus = ["metadata": .object([:]), "code": .int(code)]
        }
        event.requestObject = requestObject
        event.responseObject = responseObject
        event.stageTimestamp = AuditTimestamp()
        if event.user == nil || longRunning {
            event.stage = .responseStarted
            emit(event)
        }
        guard event.user != nil else { return }
        if longRunning {
            let original = response.body
            let record = self
            let event = event
            response.body = ResponseBody { writer in
                do {
                    try await original.write(writer)
                } catch {
                    record.complete(event)
                    throw error
                }
                record.complete(event)
            }
        } else {
            complete(event)
        }
    }

    private func complete(_ event: AuditEvent) {
        var event = event
        event.stage = .responseComplete
        event.stageTimestamp = AuditTimestamp()
        emit(event)
    }

    private func emit(_ event: AuditEvent) {
        guard !omitStages.contains(event.stage) else { return }
        var event = event
        if event.level < .request { event.requestObject = nil }
        if event.level < .requestResponse { event.responseObject = nil }
        log.sink.process(event)
    }

    private func trimmed(_ object: JSONValue) -> JSONValue {
        guard log.policy.omitManagedFields, case .object(var fields) = object,
              case .object(var metadata)? = fields["metadata"] else { return object }
        metadata["managedFields"] = nil
        fields["metadata"] = .object(metadata)
        return .object(fields)
    }
}
