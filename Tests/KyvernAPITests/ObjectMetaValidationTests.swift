import KyvernAPI
import Testing

@Suite struct ObjectMetaValidationTests {
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let qualifiedNameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    func validate(_ meta: JSONValue, namespaced: Bool = true, rule: NameRule = .dns1123Subdomain) -> [APIError.Cause] {
        validateObjectMeta(meta, namespaced: namespaced, nameRule: rule)
    }

    @Test func validMetadataHasNoCauses() {
        let meta: JSONValue = [
            "name": "web-1", "namespace": "default", "generation": 2,
            "labels": ["app.kubernetes.io/name": "web", "tier": "", "Version": "v1.2_3"],
            "annotations": ["Example.COM/Note": "anything at all\n", "plain": ""],
            "finalizers": ["kubernetes.io/pvc-protection", "foregroundDeletion"],
            "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u-1", "controller": true]],
            "uid": "ignored", "resourceVersion": "5", "creationTimestamp": "2026-01-01T00:00:00Z",
        ]
        #expect(validate(meta) == [])
        #expect(validate(["name": "node-1"], namespaced: false) == [])
    }

    @Test func nameIsRequiredUnlessGenerateNameIsGiven() {
        #expect(validate(["namespace": "default"]) == [
            APIError.Cause(type: "FieldValueRequired", message: "Required value: name or generateName is required",
                           field: "metadata.name"),
        ])
        #expect(validate(["namespace": "default", "name": ""]).map(\.field) == ["metadata.name"])
        #expect(validate(["namespace": "default", "generateName": "web-"]) == [])
        #expect(validate(.null, namespaced: false).map(\.fieldError)
            == ["metadata.name: Required value: name or generateName is required"])
    }

    @Test func invalidNameUsesUpstreamsWording() {
        let causes = validate(["name": "Bad_Name", "namespace": "default"])
        #expect(causes == [APIError.Cause(type: "FieldValueInvalid",
                                          message: "Invalid value: \"Bad_Name\": " + Self.subdomainMessage,
                                          field: "metadata.name")])
        let error = APIError.invalid(group: "", kind: "ConfigMap", name: "Bad_Name", causes: causes)
        #expect(error.message == "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": " + Self.subdomainMessage)
        #expect(validate(["name": .string(String(repeating: "a", count: 254)), "namespace": "d"]).map(\.message)
            == ["Invalid value: \"\(String(repeating: "a", count: 254))\": must be no more than 253 characters"])
    }

    @Test func generateNameIsCheckedAsAPrefix() {
        #expect(validate(["generateName": "Web-", "namespace": "default"]).map(\.fieldError)
            == ["metadata.generateName: Invalid value: \"Web-\": " + Self.subdomainMessage])
        #expect(validate(["generateName": "web-", "name": "web-x7k2p", "namespace": "default"]) == [])
    }

    @Test func nameRulesPerKind() {
        #expect(validate(["name": "a.b"], namespaced: false, rule: .dns1123Label).map(\.message)
            == ["Invalid value: \"a.b\": must not contain dots"])
        #expect(validate(["name": "1svc", "namespace": "d"], rule: .dns1035Label).count == 1)
        #expect(validate(["name": "system:controller:x"], namespaced: false, rule: .pathSegment) == [])
        #expect(validate(["name": ".."], namespaced: false, rule: .pathSegment).map(\.message)
            == ["Invalid value: \"..\": may not be '..'"])
    }

    @Test func namespaceRules() {
        #expect(validate(["name": "x"]) == [APIError.Cause(type: "FieldValueRequired", message: "Required value",
                                                            field: "metadata.namespace")])
        #expect(validate(["name": "x", "namespace": "default"], namespaced: false) == [
            APIError.Cause(type: "FieldValueForbidden", message: "Forbidden: not allowed on this type",
                           field: "metadata.namespace"),
        ])
        #expect(validate(["name": "x", "namespace": "Bad.NS"]).map(\.field) == ["metadata.namespace"])
        #expect(validate(["name": "x", "namespace": "a.b"]).map(\.message) == ["Invalid value: \"a.b\": must not contain dots"])
    }

    @Test func labelKeysAndValues() {
        let causes = validate(["name": "x", "namespace": "d", "labels": ["-bad": "ok", "good": "-bad value"]])
        #expect(causes == [
            APIError.Cause(type: "FieldValueInvalid", message: "Invalid value: \"-bad\": " + Self.qualifiedNameMessage,
                           field: "metadata.labels"),
            APIError.Cause(type: "FieldValueInvalid", message: "Invalid value: \"-bad value\": " + Self.labelValueMessage,
                           field: "metadata.labels"),
        ])
        let long = String(repeating: "v", count: 64)
        #expect(validate(["name": "x", "namespace": "d", "labels": ["k": .string(long)]]).map(\.message)
            == ["Invalid value: \"\(long)\": must be no more than 63 characters"])
    }

    @Test func annotations() {
        #expect(validate(["name": "x", "namespace": "d", "annotations": ["a b": "v"]]).map(\.fieldError)
            == ["metadata.annotations: Invalid value: \"a b\": " + Self.qualifiedNameMessage])
        let big = String(repeating: "x", count: 256 * 1024)
        let causes = validate(["name": "x", "namespace": "d", "annotations": ["k": .string(big)]])
        #expect(causes == [APIError.Cause(type: "FieldValueTooLong", message: "Too long: must have at most 262144 bytes",
                                          field: "metadata.annotations")])
        let fits = String(repeating: "x", count: 256 * 1024 - 1)
        #expect(validate(["name": "x", "namespace": "d", "annotations": ["k": .string(fits)]]) == [])
    }

    @Test func wrongTypes() {
        let causes = validate(["name": 5, "namespace": "d", "labels": "app=web", "annotations": ["a": 1],
                               "generation": "one", "finalizers": "f"])
        #expect(causes.map(\.field) == ["metadata.name", "metadata.name", "metadata.generation", "metadata.labels",
                                        "metadata.annotations.a", "metadata.finalizers"])
        #expect(causes[0] == APIError.Cause(type: "FieldValueTypeInvalid", message: "Invalid value: 5: must be a string",
                                            field: "metadata.name"))
        #expect(causes[1].type == "FieldValueRequired")
        #expect(validate("meta") == [APIError.Cause(type: "FieldValueTypeInvalid",
                                                    message: "Invalid value: \"meta\": must be an object", field: "metadata")])
        // Null members read as absent, and null map values as "", as Go decodes them.
        #expect(validate(["name": "x", "namespace": "d", "labels": nil, "annotations": ["a": nil], "generation": nil]) == [])
    }

    @Test func generationMustNotBeNegative() {
        #expect(validate(["name": "x", "namespace": "d", "generation": -1]).map(\.fieldError)
            == ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"])
    }

    @Test func finalizers() {
        #expect(validate(["name": "x", "namespace": "d", "finalizers": ["ok/fine", "bad name"]]).map(\.fieldError)
            == ["metadata.finalizers: Invalid value: \"bad name\": " + Self.qualifiedNameMessage])
        #expect(validate(["name": "x", "namespace": "d", "finalizers": ["orphan", "foregroundDeletion"]]).map(\.fieldError)
            == [#"metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set"#])
    }

    @Test func ownerReferences() {
        let missing = validate(["name": "x", "namespace": "d", "ownerReferences": [["apiVersion": "apps/"]]])
        #expect(missing.map(\.fieldError) == [
            "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty",
            "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty",
        ])
        let two: JSONValue = [
            ["apiVersion": "v1", "kind": "A", "name": "a", "uid": "1", "controller": true],
            ["apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": true],
        ]
        let causes = validate(["name": "x", "namespace": "d", "ownerReferences": two])
        #expect(causes.count == 1)
        #expect(causes.first?.message.hasSuffix(
            "Only one reference can have Controller set to true. Found \"true\" in references for A/a and B/b") == true)
        let event = validate(["name": "x", "namespace": "d",
                              "ownerReferences": [["apiVersion": "v1", "kind": "Event", "name": "e", "uid": "1"]]])
        #expect(event.first?.message.hasSuffix("/v1, Kind=Event is disallowed from being an owner") == true)
    }

    @Test func customFieldPath() {
        let causes = validateObjectMeta(["labels": ["k": "-"]], namespaced: false, nameRule: .dns1123Subdomain,
                                        fieldPath: "spec.template.metadata")
        #expect(causes.map(\.field) == ["spec.template.metadata.name", "spec.template.metadata.labels"])
    }

    @Test func labelAndAnnotationHelpers() {
        #expect(validateLabels(["a": "b"], fieldPath: "spec.selector").isEmpty)
        #expect(validateLabels(["a": "b c"], fieldPath: "spec.selector").map(\.field) == ["spec.selector"])
        // Annotation keys are compared in lower case, so an upper-case prefix is fine.
        #expect(validateAnnotations(["A.Example/b": ""], fieldPath: "x").isEmpty)
        #expect(validateAnnotations(["a/b/c": ""], fieldPath: "x").map(\.field) == ["x"])
    }
}
