import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("CustomResourceOpenAPIV2")
struct CustomResourceOpenAPIV2Tests {
    @Test func junctorsAndAdditionalPropertiesBesidePropertiesAreDropped() {
        let schema: JSONValue = [
            "type": "object",
            "properties": ["a": ["type": "string", "anyOf": [["minLength": 1]], "not": ["enum": ["x"]]]],
            "additionalProperties": ["type": "string"],
            "allOf": [["required": ["a"]]], "oneOf": [["required": ["a"]]],
        ]
        #expect(CustomResourceOpenAPIV2.reduced(schema) == [
            "type": "object", "properties": ["a": ["type": "string"]],
        ])
    }

    @Test func aNullableNodeLosesItsTypeAndShapeAndLeavesRequired() {
        let schema: JSONValue = [
            "type": "object", "required": ["n", "m"],
            "properties": [
                "n": ["type": "object", "nullable": true, "properties": ["x": ["type": "string"]]],
                "m": ["type": "string", "nullable": false],
            ],
        ]
        #expect(CustomResourceOpenAPIV2.reduced(schema) == [
            "type": "object", "required": ["m"],
            "properties": ["n": [:], "m": ["type": "string"]],
        ])
    }

    @Test func nullableMapValuesClearRequired() {
        let schema: JSONValue = [
            "type": "object", "required": ["k"],
            "additionalProperties": ["type": "string", "nullable": true],
        ]
        #expect(CustomResourceOpenAPIV2.reduced(schema) == ["type": "object", "additionalProperties": [:]])
    }

    @Test func unknownFieldsDropItemsAndPropertiesAndAnArrayWithoutItemsItsType() {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": ["x": ["type": "string"]]],
                "list": ["type": "array", "x-kubernetes-preserve-unknown-fields": true, "items": ["type": "string"]],
                "kept": ["type": "array", "items": ["type": "integer", "nullable": true]],
                "size": ["x-kubernetes-int-or-string": true, "anyOf": [["type": "integer"], ["type": "string"]]],
            ],
        ]
        #expect(CustomResourceOpenAPIV2.reduced(schema) == [
            "type": "object",
            "properties": [
                "free": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                "list": ["x-kubernetes-preserve-unknown-fields": true],
                "kept": ["type": "array", "items": [:]],
                "size": ["x-kubernetes-int-or-string": true],
            ],
        ])
    }

    @Test func theDocumentCarriesDefinitionsAndSwaggerPathsForEachServedVersion() throws {
        let base: JSONValue = ["swagger": "2.0", "definitions": ["keep.Me": ["type": "object"]], "paths": ["/api/v1/": [:]]]
        let versions = CustomResourceVersion.servedVersions(of: CustomResourceFixtures.definition(versions: [
            CustomResourceFixtures.version("v1", storage: true), CustomResourceFixtures.version("v2"),
        ]))
        let document = CustomResourceOpenAPIV2.document(base: base, versions: versions)
        #expect(document["swagger"] == "2.0")
        #expect(document[path: ["definitions", "keep.Me"]] != nil && document[path: ["paths", "/api/v1/"]] != nil)
        for version in ["v1", "v2"] {
            let widget = try #require(document[path: ["definitions", "com.example.stable.\(version).CronTab"]])
            #expect(widget["x-kubernetes-group-version-kind"]
                == [["group": "stable.example.com", "version": .string(version), "kind": "CronTab"]])
            #expect(widget[path: ["properties", "metadata"]] == ["$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"])
            #expect(widget[path: ["properties", "spec", "properties", "replicas"]] == ["type": "integer"])
            let list = try #require(document[path: ["definitions", "com.example.stable.\(version).CronTabList"]])
            #expect(list[path: ["properties", "items", "items"]] == ["$ref": .string("#/definitions/com.example.stable.\(version).CronTab")])
        }
        let collection = try #require(document[path: ["paths", "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"]])
        let create = try #require(collection["post"])
        #expect(create["operationId"] == "createNamespacedCronTab")
        #expect(create["consumes"] == ["*/*"] && create["schemes"] == ["https"])
        #expect(create["parameters"]?.arrayValue?.first
            == ["in": "body", "name": "body", "required": true, "schema": ["$ref": "#/definitions/com.example.stable.v1.CronTab"]])
        #expect(create["parameters"]?.arrayValue?.contains(["in": "query", "name": "fieldValidation", "type": "string", "uniqueItems": true]) == true)
        #expect(create[path: ["responses", "201", "schema"]] == ["$ref": "#/definitions/com.example.stable.v1.CronTab"])
        #expect(create["requestBody"] == nil)
        let list = try #require(collection["get"])
        #expect(list["produces"] == ["application/json", "application/yaml", "application/json;stream=watch"])
        #expect(collection["parameters"]?.arrayValue?.first == ["in": "path", "name": "namespace", "required": true, "type": "string", "uniqueItems": true])
        let item = "/apis/stable.example.com/v2/namespaces/{namespace}/crontabs/{name}"
        let patch = try #require(document[path: ["paths", item, "patch"]])
        #expect(patch["consumes"] == ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"])
        #expect(patch["parameters"]?.arrayValue?.first?["schema"] == ["$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"])
        #expect(document[path: ["paths", item + "/status", "put"]] != nil)
        #expect(document[path: ["paths", item + "/scale", "get", "responses", "200", "schema"]]
            == ["$ref": "#/definitions/io.k8s.api.autoscaling.v1.Scale"])
    }

    @Test func servedResourcesPutsCustomResourcesInOpenAPIV2AndTakesThemOutAgain() throws {
        let served = ServedResources(openAPI: try OpenAPIDocuments.load(), serverAddress: "127.0.0.1:6443")
        let builtIn = served.openAPI.v2
        served.update(definitions: [CustomResourceFixtures.definition()])
        let document = try JSONValue.parse(served.openAPI.v2)
        #expect(document[path: ["definitions", "com.example.stable.v1.CronTab"]] != nil)
        #expect(document[path: ["definitions", "io.k8s.api.apps.v1.Deployment"]] != nil)
        #expect(document[path: ["paths", "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]] != nil)
        served.update(definitions: [])
        #expect(served.openAPI.v2 == builtIn)
    }
}
