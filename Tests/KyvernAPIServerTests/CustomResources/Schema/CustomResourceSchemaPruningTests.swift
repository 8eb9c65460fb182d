import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("CustomResourceSchema pruning")
struct CustomResourceSchemaPruningTests {
    static let schema = CustomResourceSchema(openAPIV3Schema: [
        "type": "object",
        "properties": [
            "spec": [
                "type": "object",
                "properties": [
                    "replicas": ["type": "integer"],
                    "list": ["type": "array", "items": ["type": "object", "properties": ["a": ["type": "string"]]]],
                    "labels": ["type": "object", "additionalProperties": ["type": "string"]],
                    "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true,
                             "properties": ["known": ["type": "object", "properties": ["x": ["type": "string"]]]]],
                    "template": [
                        "type": "object", "x-kubernetes-embedded-resource": true,
                        "properties": ["spec": ["type": "object", "properties": ["image": ["type": "string"]]]],
                    ],
                    "nullable": ["type": "string", "nullable": true],
                    "plain": ["type": "string"],
                    "withDefault": ["type": "string", "default": "d"],
                ],
            ],
        ],
    ])

    @Test func dropsUnknownFieldsAndReportsTheirPathsSorted() {
        var object: JSONValue = [
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"],
            "spec": ["replicas": 1, "zzz": 1, "list": [["a": "x", "b": "y"]], "labels": ["k": "v"]],
            "status": ["ready": true],
        ]
        let unknown = Self.schema.prune(&object)
        #expect(unknown == ["spec.list[0].b", "spec.zzz", "status"])
        #expect(object == [
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"],
            "spec": ["replicas": 1, "list": [["a": "x"]], "labels": ["k": "v"]],
        ])
    }

    @Test func rootMetadataKeepsOnlyObjectMetaFields() {
        var object: JSONValue = ["metadata": ["name": "w", "color": "red", "labels": [:], "annotations": ["a": "b"]]]
        let unknown = Self.schema.prune(&object)
        #expect(unknown == ["metadata.color"])
        #expect(object == ["metadata": ["name": "w", "annotations": ["a": "b"]]])
    }

    @Test func preserveUnknownFieldsKeepsMembersButPrunesUnderKnownOnes() {
        var object: JSONValue = ["spec": ["free": ["anything": ["deep": 1], "known": ["x": "1", "y": "2"]]]]
        let unknown = Self.schema.prune(&object)
        #expect(unknown == ["spec.free.known.y"])
        #expect(object == ["spec": ["free": ["anything": ["deep": 1], "known": ["x": "1"]]]])
    }

    @Test func embeddedResourceKeepsTypeMetaAndTrimsMetadataToObjectMeta() {
        var object: JSONValue = ["spec": ["template": [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "bogus": 1, "labels": ["a": "b"]],
            "spec": ["image": "busybox", "extra": true],
        ]]]
        let unknown = Self.schema.prune(&object)
        #expect(unknown == ["spec.template.spec.extra", "spec.template.metadata.bogus"])
        #expect(object == ["spec": ["template": [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "labels": ["a": "b"]],
            "spec": ["image": "busybox"],
        ]]])
    }

    @Test func nullsAreDroppedUnlessNullableOrDefaulted() {
        var object: JSONValue = ["spec": ["nullable": nil, "plain": nil, "withDefault": nil]]
        let unknown = Self.schema.prune(&object)
        #expect(unknown.isEmpty)
        #expect(object == ["spec": ["nullable": nil, "withDefault": nil]])
    }

    @Test func nestedMetaFieldNamesAreOrdinaryUnknownFields() {
        var object: JSONValue = ["spec": ["kind": "x", "metadata": [:]]]
        let unknown = Self.schema.prune(&object)
        #expect(unknown == ["spec.kind", "spec.metadata"])
        #expect(object == ["spec": [:]])
    }
}

@Suite("CustomResourceSchema defaulting")
struct CustomResourceSchemaDefaultingTests {
    static let schema = CustomResourceSchema(openAPIV3Schema: [
        "type": "object",
        "properties": [
            "spec": [
                "type": "object",
                "default": [:],
                "properties": [
                    "replicas": ["type": "integer", "default": 1],
                    "mode": ["type": "string", "default": "fast"],
                    "nullableWithDefault": ["type": "string", "nullable": true, "default": "n"],
                    "ports": [
                        "type": "array",
                        "items": ["type": "object", "properties": ["protocol": ["type": "string", "default": "TCP"]]],
                    ],
                    "byName": [
                        "type": "object",
                        "additionalProperties": ["type": "object", "properties": ["weight": ["type": "integer", "default": 5]]],
                    ],
                    "nested": [
                        "type": "object", "default": ["inner": "given"],
                        "properties": ["inner": ["type": "string"], "other": ["type": "string", "default": "o"]],
                    ],
                ],
            ],
        ],
    ])

    @Test func fillsAbsentMembersAndDefaultsInsideDefaults() {
        var object: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget"]
        Self.schema.applyDefaults(&object)
        #expect(object["spec"] == [
            "replicas": 1, "mode": "fast", "nullableWithDefault": "n", "nested": ["inner": "given", "other": "o"],
        ])
    }

    @Test func keepsGivenValuesAndReplacesNonNullableNulls() {
        var object: JSONValue = ["spec": ["replicas": 3, "mode": nil, "nullableWithDefault": nil]]
        Self.schema.applyDefaults(&object)
        #expect(object["spec"]?["replicas"] == 3)
        #expect(object["spec"]?["mode"] == "fast")
        #expect(object["spec"]?["nullableWithDefault"] == .null)
    }

    @Test func defaultsListItemsAndAdditionalProperties() {
        var object: JSONValue = ["spec": [
            "ports": [[:], ["protocol": "UDP"]],
            "byName": ["a": [:], "b": ["weight": 1]],
        ]]
        Self.schema.applyDefaults(&object)
        #expect(object["spec"]?["ports"] == [["protocol": "TCP"], ["protocol": "UDP"]])
        #expect(object["spec"]?["byName"] == ["a": ["weight": 5], "b": ["weight": 1]])
    }
}
