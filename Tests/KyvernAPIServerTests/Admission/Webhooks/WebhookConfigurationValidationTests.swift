import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct WebhookConfigurationValidationTests {
    static func configuration(_ hook: JSONValue) -> JSONValue {
        ["metadata": ["name": "c"], "webhooks": [hook]]
    }

    static let valid: JSONValue = [
        "name": "pods.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
        "clientConfig": ["url": "https://127.0.0.1:9443/mutate"],
        "rules": [["operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]]],
    ]

    static func messages(_ hook: JSONValue, old: JSONValue? = nil, mutating: Bool = false) -> [String] {
        WebhookConfigurationValidation.validate(configuration(hook), old: old, mutating: mutating).map(\.fieldError)
    }

    static func with(_ key: String, _ value: JSONValue?) -> JSONValue {
        var hook = valid
        hook[key] = value
        return hook
    }

    @Test func aCompleteWebhookIsValid() {
        #expect(Self.messages(Self.valid).isEmpty)
    }

    @Test func sideEffectsMustBeNoneOrNoneOnDryRun() {
        #expect(Self.messages(Self.with("sideEffects", "Unknown"))
            == ["webhooks[0].sideEffects: Unsupported value: \"Unknown\": supported values: \"None\", \"NoneOnDryRun\""])
        #expect(Self.messages(Self.with("sideEffects", nil))
            == ["webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"])
    }

    @Test func storedSideEffectsMayStayOnUpdate() {
        let old = Self.configuration(Self.with("sideEffects", "Some"))
        #expect(Self.messages(Self.with("sideEffects", "Some"), old: old).isEmpty)
    }

    @Test func nameMustHaveThreeSegments() {
        #expect(Self.messages(Self.with("name", "webhook.local"))
            == ["webhooks[0].name: Invalid value: \"webhook.local\": should be a domain with at least three segments separated by dots"])
    }

    @Test func timeoutIsBetweenOneAndThirtySeconds() {
        #expect(Self.messages(Self.with("timeoutSeconds", 31))
            == ["webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"])
    }

    @Test func clientConfigNeedsExactlyOneOfURLOrService() {
        #expect(Self.messages(Self.with("clientConfig", [:]))
            == ["webhooks[0].clientConfig: Required value: exactly one of url or service is required"])
        #expect(Self.messages(Self.with("clientConfig", ["url": "http://example.com/x?a=b"]))
            == ["webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
                "webhooks[0].clientConfig.url: Invalid value: \"a=b\": query parameters are not permitted in the URL"])
        #expect(Self.messages(Self.with("clientConfig", ["service": ["name": "s", "namespace": "n", "path": "no-slash"]]))
            == ["webhooks[0].clientConfig.service.path: Invalid value: \"no-slash\": must start with a '/'"])
    }

    @Test func reviewVersionsMustIncludeAKnownOne() {
        #expect(Self.messages(Self.with("admissionReviewVersions", []))
            == ["webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1"])
        #expect(Self.messages(Self.with("admissionReviewVersions", ["v2"]))
            == ["webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\"}: must include at least one of v1, v1beta1"])
    }

    @Test func rulesFollowUpstreamsWildcardRules() {
        let hook = Self.with("rules", [["operations": ["*", "CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                                        "resources": ["*/*", "pods"], "scope": "Everywhere"]])
        #expect(Self.messages(hook) == [
            "webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{\"*\", \"CREATE\"}: if '*' is present, must not specify other operations",
            "webhooks[0].rules[0].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, must not specify other resources",
            "webhooks[0].rules[0].scope: Unsupported value: \"Everywhere\": supported values: \"*\", \"Cluster\", \"Namespaced\"",
        ])
    }

    @Test func duplicateWebhookNamesAreRefused() {
        let configuration: JSONValue = ["metadata": ["name": "c"], "webhooks": [Self.valid, Self.valid]]
        #expect(WebhookConfigurationValidation.validate(configuration, old: nil, mutating: true).map(\.fieldError)
            == ["webhooks[1].name: Duplicate value: \"pods.example.com\""])
    }

    @Test func defaultsAreUpstreamsV1Defaults() {
        var configuration = Self.configuration(Self.with("clientConfig", ["service": ["name": "s", "namespace": "n"]]))
        WebhookConfigurationDefaults.apply(&configuration, mutating: true)
        let hook = configuration["webhooks"]?.arrayValue?.first
        #expect(hook?["failurePolicy"] == "Fail")
        #expect(hook?["matchPolicy"] == "Equivalent")
        #expect(hook?["timeoutSeconds"] == 10)
        #expect(hook?["reinvocationPolicy"] == "Never")
        #expect(hook?["namespaceSelector"] == [:])
        #expect(hook?["objectSelector"] == [:])
        #expect(hook?[path: ["clientConfig", "service", "port"]] == 443)
        #expect(hook?["rules"]?.arrayValue?.first?["scope"] == "*")
    }
}
