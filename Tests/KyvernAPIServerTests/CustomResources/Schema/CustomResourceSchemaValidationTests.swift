import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("CustomResourceSchema validation")
struct CustomResourceSchemaValidationTests {
    /// A schema whose `spec` holds one property per keyword under test.
    static func schema(_ spec: [String: JSONValue], required: [JSONValue] = []) -> CustomResourceSchema {
        CustomResourceSchema(openAPIV3Schema: [
            "type": "object",
            "properties": ["spec": ["type": "object", "properties": .object(spec), "required": .array(required)]],
        ])
    }

    static func causes(_ spec: [String: JSONValue], _ value: JSONValue, required: [JSONValue] = []) -> [APIError.Cause] {
        schema(spec, required: required).validate(["apiVersion": "example.com/v1", "kind": "Widget", "spec": value])
    }

    @Test func wrongTypeIsTypeInvalidWithUpstreamsMessage() {
        let causes = Self.causes(["replicas": ["type": "integer"]], ["replicas": "three"])
        #expect(causes == [APIError.Cause(type: "FieldValueTypeInvalid",
            message: "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
            field: "spec.replicas")])
    }

    @Test func integralFloatIsAnInteger() {
        #expect(Self.causes(["replicas": ["type": "integer"]], ["replicas": 3.0]).isEmpty)
        let causes = Self.causes(["replicas": ["type": "integer"]], ["replicas": 3.5])
        #expect(causes.map(\.message) == ["Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\""])
    }

    @Test func integerIsANumber() {
        #expect(Self.causes(["ratio": ["type": "number"]], ["ratio": 1]).isEmpty)
    }

    @Test func requiredMemberMissing() {
        let causes = Self.causes(["name": ["type": "string"]], [:], required: ["name"])
        #expect(causes == [APIError.Cause(type: "FieldValueRequired", message: "Required value", field: "spec.name")])
    }

    @Test func requiredSpecAtTheRoot() {
        let schema = CustomResourceSchema(openAPIV3Schema: [
            "type": "object", "required": ["spec"], "properties": ["spec": ["type": "object"]],
        ])
        #expect(schema.validate(["kind": "Widget"]) == [.required("spec")])
    }

    @Test func enumListsSupportedValues() {
        let causes = Self.causes(["mode": ["type": "string", "enum": ["a", "b"]]], ["mode": "c"])
        #expect(causes == [APIError.Cause(type: "FieldValueNotSupported",
            message: "Unsupported value: \"c\": supported values: \"a\", \"b\"", field: "spec.mode")])
    }

    @Test func enumOfNumbersIsQuotedAsJSON() {
        let causes = Self.causes(["level": ["type": "integer", "enum": [1, 2]]], ["level": 3])
        #expect(causes.map(\.message) == ["Unsupported value: 3: supported values: \"1\", \"2\""])
    }

    @Test func stringLengthsAndPattern() {
        let spec: [String: JSONValue] = [
            "short": ["type": "string", "maxLength": 3],
            "long": ["type": "string", "minLength": 2],
            "lower": ["type": "string", "pattern": "^[a-z]+$"],
        ]
        let causes = Self.causes(spec, ["short": "abcd", "long": "a", "lower": "ABC"])
        #expect(causes == [
            APIError.Cause(type: "FieldValueInvalid",
                           message: "Invalid value: \"a\": spec.long in body should be at least 2 chars long",
                           field: "spec.long"),
            APIError.Cause(type: "FieldValueInvalid",
                           message: "Invalid value: \"ABC\": spec.lower in body should match '^[a-z]+$'",
                           field: "spec.lower"),
            APIError.Cause(type: "FieldValueTooLong", message: "Too long: must have at most 3 bytes", field: "spec.short"),
        ])
    }

    @Test func lengthsCountCharactersNotBytes() {
        #expect(Self.causes(["s": ["type": "string", "maxLength": 2]], ["s": "éé"]).isEmpty)
    }

    @Test func numericBounds() {
        let spec: [String: JSONValue] = [
            "max": ["type": "integer", "maximum": 10],
            "exclusiveMin": ["type": "integer", "minimum": 0, "exclusiveMinimum": true],
            "step": ["type": "integer", "multipleOf": 5],
            "ratio": ["type": "number", "maximum": 1.5],
            "big": ["type": "number", "minimum": 1000000],
        ]
        let causes = Self.causes(spec, ["max": 11, "exclusiveMin": 0, "step": 7, "ratio": 2.5, "big": 0.5])
        #expect(causes.map(\.fieldError) == [
            "spec.big: Invalid value: 0.5: spec.big in body should be greater than or equal to 1e+06",
            "spec.exclusiveMin: Invalid value: 0: spec.exclusiveMin in body should be greater than 0",
            "spec.max: Invalid value: 11: spec.max in body should be less than or equal to 10",
            "spec.ratio: Invalid value: 2.5: spec.ratio in body should be less than or equal to 1.5",
            "spec.step: Invalid value: 7: spec.step in body should be a multiple of 5",
        ])
    }

    @Test func arrayKeywords() {
        let spec: [String: JSONValue] = [
            "few": ["type": "array", "items": ["type": "string"], "maxItems": 2],
            "many": ["type": "array", "items": ["type": "string"], "minItems": 1],
            "unique": ["type": "array", "items": ["type": "string"], "uniqueItems": true],
            "typed": ["type": "array", "items": ["type": "string"]],
        ]
        let causes = Self.causes(spec, ["few": ["a", "b", "c"], "many": [], "unique": ["a", "a"], "typed": ["x", 1, nil]])
        #expect(causes == [
            APIError.Cause(type: "FieldValueTooMany", message: "Too many: 3: must have at most 2 items", field: "spec.few"),
            APIError.Cause(type: "FieldValueInvalid",
                           message: "Invalid value: 0: spec.many in body should have at least 1 items", field: "spec.many"),
            APIError.Cause(type: "FieldValueTypeInvalid",
                           message: "Invalid value: \"integer\": spec.typed[1] in body must be of type string: \"integer\"",
                           field: "spec.typed[1]"),
            APIError.Cause(type: "FieldValueTypeInvalid",
                           message: "Invalid value: \"null\": spec.typed[2] in body must be of type string: \"null\"",
                           field: "spec.typed[2]"),
            APIError.Cause(type: "FieldValueInvalid",
                           message: "Invalid value: \"\": spec.unique in body shouldn't contain duplicates",
                           field: "spec.unique"),
        ])
    }

    @Test func nullableAcceptsNull() {
        #expect(Self.causes(["n": ["type": "string", "nullable": true]], ["n": nil]).isEmpty)
    }

    @Test func objectKeywords() {
        let spec: [String: JSONValue] = [
            "labels": ["type": "object", "additionalProperties": ["type": "string"], "maxProperties": 3],
            "small": ["type": "object", "additionalProperties": ["type": "string"], "maxProperties": 1],
            "big": ["type": "object", "additionalProperties": ["type": "string"], "minProperties": 2],
        ]
        let causes = Self.causes(spec, ["labels": ["k": 1], "small": ["a": "1", "b": "2"], "big": ["a": "1"]])
        #expect(causes == [
            APIError.Cause(type: "FieldValueInvalid",
                           message: "Invalid value: 1: spec.big in body should have at least 2 properties", field: "spec.big"),
            APIError.Cause(type: "FieldValueTypeInvalid",
                           message: "Invalid value: \"integer\": spec.labels.k in body must be of type string: \"integer\"",
                           field: "spec.labels.k"),
            APIError.Cause(type: "FieldValueTooMany", message: "Too many: 2: must have at most 1 item", field: "spec.small"),
        ])
    }

    @Test func intOrString() {
        let spec: [String: JSONValue] = ["port": ["x-kubernetes-int-or-string": true]]
        #expect(Self.causes(spec, ["port": 80]).isEmpty)
        #expect(Self.causes(spec, ["port": "http"]).isEmpty)
        #expect(Self.causes(spec, ["port": true]).map(\.message) == [
            "Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"",
        ])
    }

    @Test func preserveUnknownFieldsWithoutTypeAcceptsAnything() {
        let spec: [String: JSONValue] = ["any": ["x-kubernetes-preserve-unknown-fields": true]]
        #expect(Self.causes(spec, ["any": [1, "a", ["b": nil]]]).isEmpty)
    }

    @Test func formats() {
        let spec: [String: JSONValue] = [
            "id": ["type": "string", "format": "uuid"],
            "when": ["type": "string", "format": "date-time"],
            "count": ["type": "integer", "format": "int32"],
            "custom": ["type": "string", "format": "not-a-format"],
        ]
        #expect(Self.causes(spec, [
            "id": "123e4567-e89b-12d3-a456-426614174000", "when": "2024-05-01T10:00:00Z", "count": 5_000_000_000,
            "custom": "anything",
        ]).isEmpty)
        let causes = Self.causes(spec, ["id": "nope", "when": "yesterday"])
        #expect(causes == [
            APIError.Cause(type: "FieldValueTypeInvalid",
                           message: "Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\"", field: "spec.id"),
            APIError.Cause(type: "FieldValueTypeInvalid",
                           message: "Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"",
                           field: "spec.when"),
        ])
    }

    @Test func anyOfReportsTheCompositeAndTheBestBranch() {
        let spec: [String: JSONValue] = [
            "v": ["type": "integer", "anyOf": [["minimum": 10], ["maximum": 0]]],
        ]
        #expect(Self.causes(spec, ["v": 11]).isEmpty)
        let causes = Self.causes(spec, ["v": 5])
        #expect(causes.first == APIError.Cause(type: "FieldValueInvalid",
            message: "Invalid value: \"\": \"spec.v\" must validate at least one schema (anyOf)", field: "<nil>"))
        #expect(causes.count == 2)
    }

    @Test func oneOfAndNot() {
        let spec: [String: JSONValue] = [
            "one": ["type": "integer", "oneOf": [["minimum": 0], ["maximum": 10]]],
            "not": ["type": "string", "not": ["enum": ["forbidden"]]],
        ]
        let causes = Self.causes(spec, ["one": 5, "not": "forbidden"])
        #expect(causes.map(\.message) == [
            "Invalid value: \"\": \"spec.not\" must not validate the schema (not)",
            "Invalid value: \"\": \"spec.one\" must validate one and only one schema (oneOf). Found 2 valid alternatives",
        ])
    }

    @Test func allOfMergesEveryBranch() {
        let spec: [String: JSONValue] = ["s": ["type": "string", "allOf": [["maxLength": 2], ["pattern": "^a"]]]]
        let causes = Self.causes(spec, ["s": "bbb"])
        #expect(causes.map(\.message) == [
            "Too long: must have at most 2 bytes",
            "Invalid value: \"bbb\": spec.s in body should match '^a'",
            "Invalid value: \"\": \"spec.s\" must validate all the schemas (allOf). None validated",
        ])
    }

    @Test func unchangedValuesAreRatchetedOnUpdate() {
        let schema = Self.schema([
            "name": ["type": "string", "maxLength": 3],
            "size": ["type": "integer", "maximum": 5],
            "ports": [
                "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": ["type": "object", "properties": ["name": ["type": "string"], "port": ["type": "integer", "maximum": 100]]],
            ],
        ])
        let old: JSONValue = ["spec": ["name": "toolong", "size": 9, "ports": [["name": "a", "port": 500]]]]
        let unchangedBad: JSONValue = ["spec": ["name": "toolong", "size": 4, "ports": [["name": "a", "port": 500], ["name": "b", "port": 1]]]]
        #expect(schema.validate(unchangedBad, old: old).isEmpty)
        #expect(schema.validate(unchangedBad).map(\.field) == ["spec.name", "spec.ports[0].port"])
        let changedBad: JSONValue = ["spec": ["name": "stilltoolong", "size": 9, "ports": [["name": "a", "port": 501]]]]
        #expect(schema.validate(changedBad, old: old).map(\.field) == ["spec.name", "spec.ports[0].port"])
    }

    @Test func listTypeSetAndMapUniqueness() {
        let spec: [String: JSONValue] = [
            "set": ["type": "array", "x-kubernetes-list-type": "set", "items": ["type": "string"]],
            "ports": [
                "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": ["type": "object", "properties": ["name": ["type": "string"], "port": ["type": "integer"]]],
            ],
        ]
        let causes = Self.causes(spec, [
            "set": ["a", "b", "a", "a"],
            "ports": [["name": "a", "port": 1], ["name": "a", "port": 2]],
        ])
        #expect(causes == [
            APIError.Cause(type: "FieldValueDuplicate",
                           message: "Duplicate value: map[string]interface {}{\"name\":\"a\"}", field: "spec.ports[1]"),
            APIError.Cause(type: "FieldValueDuplicate", message: "Duplicate value: \"a\"", field: "spec.set[2]"),
        ])
    }

    @Test func listMapItemsMustBeObjects() {
        let spec: [String: JSONValue] = [
            "ports": ["type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": ["x-kubernetes-preserve-unknown-fields": true]],
        ]
        let causes = Self.causes(spec, ["ports": [["name": "a"], "b"]])
        #expect(causes.map(\.fieldError) == [
            "spec.ports[1]: Invalid value: \"b\": must be an object for an array of list-type map",
        ])
    }

    @Test func embeddedResourcesNeedTypeMetaAndValidMetadata() {
        let spec: [String: JSONValue] = [
            "template": ["type": "object", "x-kubernetes-embedded-resource": true,
                         "x-kubernetes-preserve-unknown-fields": true],
        ]
        let missing = Self.causes(spec, ["template": ["metadata": ["name": "ok"]]])
        #expect(missing.map(\.fieldError) == [
            "spec.template.apiVersion: Required value: must not be empty",
            "spec.template.kind: Required value: must not be empty",
        ])
        let bad = Self.causes(spec, ["template": [
            "apiVersion": "a/b/c", "kind": "Bad_Kind", "metadata": ["name": "x/y", "labels": ["-bad": "v"]],
        ]])
        #expect(bad.map(\.field) == [
            "spec.template.apiVersion", "spec.template.kind", "spec.template.metadata.name", "spec.template.metadata.labels",
        ])
        #expect(bad.first?.message == "Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c")
        #expect(bad[2].message == "Invalid value: \"x/y\": may not contain '/'")
    }
}

@Suite("Custom resource value rendering and formats")
struct CustomResourceValueRenderingTests {
    @Test func goFloatFollowsPercentV() {
        #expect(CustomResourceValueRendering.goFloat(1_000_000) == "1e+06")
        #expect(CustomResourceValueRendering.goFloat(123_456) == "123456")
        #expect(CustomResourceValueRendering.goFloat(2.5) == "2.5")
        #expect(CustomResourceValueRendering.goFloat(0.0001) == "0.0001")
        #expect(CustomResourceValueRendering.goFloat(0.00001) == "1e-05")
        #expect(CustomResourceValueRendering.goFloat(-1234567.5) == "-1.2345675e+06")
        #expect(CustomResourceValueRendering.goFloat(3) == "3")
    }

    @Test func goSyntaxOfUnstructuredValues() {
        #expect(CustomResourceValueRendering.goSyntax(["b": 1, "a": [true, nil]])
            == "map[string]interface {}{\"a\":[]interface {}{true, interface {}(nil)}, \"b\":1}")
    }

    @Test(arguments: [
        ("uuid", "123E4567-E89B-12D3-A456-426614174000", true), ("uuid", "123e4567e89b12d3a456426614174000", true),
        ("uuid4", "123e4567-e89b-42d3-a456-426614174000", true), ("uuid4", "123e4567-e89b-12d3-a456-426614174000", false),
        ("ipv4", "10.0.0.1", true), ("ipv4", "10.0.0.256", false), ("ipv6", "::1", true), ("ipv6", "fe80::1:2:3", true),
        ("ipv6", "1:2:3:4:5:6:7:8:9", false), ("cidr", "10.0.0.0/8", true), ("cidr", "10.0.0.0/33", false),
        ("mac", "00:1a:2b:3c:4d:5e", true), ("mac", "00:1a:2b", false),
        ("date", "2024-02-29", true), ("date", "2023-02-29", false),
        ("date-time", "2024-05-01T10:00:00.123+02:00", true), ("datetime", "2024-05-01", false),
        ("byte", "aGVsbG8=", true), ("byte", "not base64!", false),
        ("hostname", "example.com", true), ("hostname", "-bad.com", false),
        ("email", "a@example.com", true), ("email", "nope", false),
        ("uri", "https://example.com/x", true), ("uri", "relative/path", false),
        ("duration", "1h30m", true), ("duration", "3 days", true), ("duration", "soon", false),
        ("hexcolor", "#fff", true), ("rgbcolor", "rgb(1,2,300)", false), ("ssn", "123-45-6789", true),
        ("isbn10", "0321751043", true), ("isbn13", "978-0321751041", true), ("creditcard", "4111 1111 1111 1111", true),
        ("bsonobjectid", "507f1f77bcf86cd799439011", true),
    ])
    func formatCheckers(format: String, value: String, valid: Bool) {
        #expect(CustomResourceFormats.validates(format, value) == valid)
    }
}
