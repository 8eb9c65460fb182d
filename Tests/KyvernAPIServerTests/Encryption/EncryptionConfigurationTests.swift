import Foundation
@testable import KyvernAPIServer
import Testing

@Suite("EncryptionConfiguration")
struct EncryptionConfigurationTests {
    static let k32 = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    static let k16 = Data((0..<16).map { UInt8($0) }).base64EncodedString()

    static let yaml = """
    apiVersion: apiserver.config.k8s.io/v1
    kind: EncryptionConfiguration
    resources:
      - resources:
          - secrets
          - configmaps
        providers:
          - aescbc:
              keys:
                - name: key1
                  secret: \(k32)
                - name: key0
                  secret: \(k16)
          - identity: {}
      - resources: ["*.apps"]
        providers:
          - secretbox:
              keys: [{name: sb, secret: \(k32)}]
    """

    @Test("YAML with several entries and providers")
    func parsesYAML() throws {
        let configuration = try EncryptionConfiguration.parse(Self.yaml)
        #expect(configuration.resources.count == 2)
        #expect(configuration.resources[0].resources == ["secrets", "configmaps"])
        #expect(configuration.resources[0].providers.map(\.type) == ["aescbc", "identity"])
        #expect(configuration.resources[0].providers[0].keys.map(\.name) == ["key1", "key0"])
        #expect(configuration.resources[0].providers[0].keys[0].secret == Array(0..<32))
        #expect(configuration.entryIndex(group: "", resource: "secrets") == 0)
        #expect(configuration.entryIndex(group: "apps", resource: "deployments") == 1)
        #expect(configuration.entryIndex(group: "", resource: "pods") == nil)
    }

    @Test("JSON is read too")
    func parsesJSON() throws {
        let json = """
        {"apiVersion":"apiserver.config.k8s.io/v1","kind":"EncryptionConfiguration",
         "resources":[{"resources":["secrets"],"providers":[{"aesgcm":{"keys":[{"name":"g","secret":"\(Self.k16)"}]}}]}]}
        """
        let configuration = try EncryptionConfiguration.parse(json)
        #expect(configuration.resources[0].providers == [.aesgcm([.init(name: "g", secret: Array(0..<16))])])
    }

    static func config(providers: String, resources: String = "[secrets]") -> String {
        """
        apiVersion: apiserver.config.k8s.io/v1
        kind: EncryptionConfiguration
        resources:
          - resources: \(resources)
            providers: \(providers)
        """
    }

    @Test("errors name the field", arguments: [
        (config(providers: "[{aescbc: {keys: [{name: k, secret: \(k16.dropLast(8))}]}}]"),
         "resources[0].providers[0].aescbc.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 12, expected one of [16 24 32]"),
        (config(providers: "[{secretbox: {keys: [{name: k, secret: \(k16)}]}}]"),
         "resources[0].providers[0].secretbox.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 16, expected one of [32]"),
        (config(providers: "[{aescbc: {keys: [{name: k, secret: '%%%'}]}}]"),
         "resources[0].providers[0].aescbc.keys[0].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded"),
        (config(providers: "[{identity: {}}, {aesgcm: {keys: []}}]"),
         "resources[0].providers[1].aesgcm.keys: Required value: keys (min 1) is a required field"),
        (config(providers: "[{aescbc: {keys: [{secret: \(k32)}]}}]"),
         "resources[0].providers[0].aescbc.keys[0].name: Required value: key name is required"),
        (config(providers: "[{aescbc: {keys: [{name: k, secret: \(k32)}, {name: k, secret: \(k32)}]}}]"),
         "resources[0].providers[0].aescbc.keys[1].name: Duplicate value: \"k\""),
        (config(providers: "[{identity: {}, aescbc: {keys: [{name: k, secret: \(k32)}]}}]"),
         "resources[0].providers[0]: Invalid value: more than one provider specified in a single element, should split into different list elements"),
        (config(providers: "[{kms: {name: x}}]"),
         "resources[0].providers[0].kms: Unsupported value: kms providers are not supported by Kyvern; use aescbc, aesgcm or secretbox"),
        (config(providers: "[]"), "resources[0].providers: Required value: providers is a required field"),
        (config(providers: "[{identity: {}}]", resources: "[]"), "resources[0].resources: Required value: resources is a required field"),
        (config(providers: "[{identity: {}}]", resources: "[Secrets]"),
         "resources[0].resources[0]: Invalid value: \"Secrets\": resource name should be lowercase, without '/', in the form resource.group"),
        ("apiVersion: v1\nkind: EncryptionConfiguration\nresources: []",
         "apiVersion: Unsupported value: \"v1\": supported values: \"apiserver.config.k8s.io/v1\""),
        ("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfig\nresources: []",
         "kind: Unsupported value: \"EncryptionConfig\": supported values: \"EncryptionConfiguration\""),
    ])
    func errorsNameTheField(text: String, message: String) {
        #expect {
            try EncryptionConfiguration.parse(text)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("a rendered configuration (YAML or JSON) reads back the same")
    func renderRoundTrip() throws {
        let configuration = try EncryptionConfiguration.parse(Self.yaml)
        #expect(try EncryptionConfiguration.parse(configuration.rendered(asJSON: false)) == configuration)
        #expect(try EncryptionConfiguration.parse(configuration.rendered(asJSON: true)) == configuration)
    }

    @Test("rotation puts a new key of the writing type first and keeps the others")
    func rotation() throws {
        let configuration = try EncryptionConfiguration.parse(Self.yaml)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (rotated, provider, name) = configuration.rotated(entryIndex: 0, now: now, secret: Array(repeating: 7, count: 32))
        #expect(provider == "aescbc")
        #expect(name == "aescbckey-20270115T080000Z")
        #expect(rotated.resources[0].providers[0].keys.map(\.name) == [name, "key1", "key0"])
        #expect(rotated.resources[0].providers[1] == .identity)
        #expect(rotated.resources[1] == configuration.resources[1])
        // The same second again gets a distinct name.
        let again = rotated.rotated(entryIndex: 0, now: now).keyName
        #expect(again == "\(name)-2")
        // Identity first: an aescbc provider is put in front of it.
        let plain = EncryptionConfiguration(resources: [.init(resources: ["secrets"], providers: [.identity])])
        let turnedOn = plain.rotated(entryIndex: 0, now: now)
        #expect(turnedOn.configuration.resources[0].providers.map(\.type) == ["aescbc", "identity"])
    }
}
