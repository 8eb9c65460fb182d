import Foundation
import KyvernAPI

/// One webhook of a Mutating- or ValidatingWebhookConfiguration, read with the v1 defaults, so
/// matching and calling never see a missing field.
struct AdmissionWebhook: Sendable, Hashable {
    enum Phase: String, Sendable, Hashable {
        case mutating
        case validating
    }

    enum FailurePolicy: String, Sendable, Hashable {
        case fail = "Fail"
        case ignore = "Ignore"
    }

    enum MatchPolicy: String, Sendable, Hashable {
        case exact = "Exact"
        case equivalent = "Equivalent"
    }

    /// Where the webhook listens: a URL, or a Service the API server resolves.
    enum Endpoint: Sendable, Hashable {
        case url(String)
        case service(namespace: String, name: String, path: String, port: Int)
    }

    struct MatchCondition: Sendable, Hashable {
        var name: String
        var expression: String
    }

    var phase: Phase
    /// The configuration's name: several configurations may hold webhooks of the same name.
    var configuration: String
    var name: String
    /// Position in its configuration, for a stable order and a unique identity.
    var index: Int
    var endpoint: Endpoint
    /// PEM certificates trusted for the webhook's serving certificate (nil: the system's roots).
    var caBundle: [UInt8]?
    var rules: [WebhookRule]
    var failurePolicy: FailurePolicy
    var matchPolicy: MatchPolicy
    var namespaceSelector: JSONValue
    var objectSelector: JSONValue
    var sideEffects: String?
    var timeoutSeconds: Int
    var admissionReviewVersions: [String]
    var reinvokeIfNeeded: Bool
    var matchConditions: [MatchCondition]

    /// Identity used for reinvocation bookkeeping.
    var uid: String { "\(configuration)/\(index)/\(name)" }

    /// The webhooks of a stored configuration, in their order.
    static func all(in configuration: JSONValue, phase: Phase) -> [AdmissionWebhook] {
        let configName = configuration[path: ["metadata", "name"]]?.stringValue ?? ""
        return (configuration["webhooks"]?.arrayValue ?? []).enumerated().map { index, hook in
            AdmissionWebhook(hook, phase: phase, configuration: configName, index: index)
        }
    }

    init(_ hook: JSONValue, phase: Phase, configuration: String, index: Int) {
        self.phase = phase
        self.configuration = configuration
        self.index = index
        name = hook["name"]?.stringValue ?? ""
        let client = hook["clientConfig"]
        if let service = client?["service"], service.objectValue != nil {
            endpoint = .service(namespace: service["namespace"]?.stringValue ?? "",
                                name: service["name"]?.stringValue ?? "",
                                path: service["path"]?.stringValue ?? "",
                                port: Int(service["port"]?.intValue ?? 443))
        } else {
            endpoint = .url(client?["url"]?.stringValue ?? "")
        }
        caBundle = client?["caBundle"]?.stringValue.flatMap { Array(base64Encoded: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        rules = (hook["rules"]?.arrayValue ?? []).map(WebhookRule.init)
        failurePolicy = hook["failurePolicy"]?.stringValue.flatMap(FailurePolicy.init(rawValue:)) ?? .fail
        matchPolicy = hook["matchPolicy"]?.stringValue.flatMap(MatchPolicy.init(rawValue:)) ?? .equivalent
        namespaceSelector = hook["namespaceSelector"].flatMap { $0.isNull ? nil : $0 } ?? .object([:])
        objectSelector = hook["objectSelector"].flatMap { $0.isNull ? nil : $0 } ?? .object([:])
        sideEffects = hook["sideEffects"]?.stringValue
        timeoutSeconds = Int(hook["timeoutSeconds"]?.intValue ?? 10)
        admissionReviewVersions = (hook["admissionReviewVersions"]?.arrayValue ?? []).compactMap(\.stringValue)
        reinvokeIfNeeded = hook["reinvocationPolicy"]?.stringValue == "IfNeeded"
        matchConditions = (hook["matchConditions"]?.arrayValue ?? []).map {
            MatchCondition(name: $0["name"]?.stringValue ?? "", expression: $0["expression"]?.stringValue ?? "")
        }
    }

    /// The AdmissionReview version to speak: the first the webhook accepts that the server knows.
    var reviewVersion: String? {
        admissionReviewVersions.first { $0 == "v1" || $0 == "v1beta1" }
    }

    /// Whether a dry-run request may be sent: only to webhooks declaring they have no side effects then.
    var supportsDryRun: Bool { sideEffects == "None" || sideEffects == "NoneOnDryRun" }
}

extension Array where Element == UInt8 {
    init?(base64Encoded text: String) {
        guard let data = Data(base64Encoded: text) else { return nil }
        self = Array(data)
    }
}
