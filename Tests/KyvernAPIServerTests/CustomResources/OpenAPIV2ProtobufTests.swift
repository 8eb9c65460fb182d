import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("OpenAPIV2Protobuf")
struct OpenAPIV2ProtobufTests {
    @Test func aSchemaIsEncodedWithGnosticsFieldNumbers() {
        // type (22) → TypeItem{value (1)}; required (19); maxLength (11); an extension (31) as Any{yaml (2)}.
        let schema: JSONValue = ["type": "string", "required": ["a"], "maxLength": 3, "x-kubernetes-int-or-string": true]
        let expected: [UInt8] = [0x58, 0x03]                                   // 11: varint 3
            + [0x9A, 0x01, 0x01, 0x61]                                        // 19: "a"
            + [0xB2, 0x01, 0x08, 0x0A, 0x06] + Array("string".utf8)            // 22 { 1: "string" }
            + [0xFA, 0x01, 0x24, 0x0A, 0x1A] + Array("x-kubernetes-int-or-string".utf8)
            + [0x12, 0x06, 0x12, 0x04] + Array("true".utf8)                   // 31 { 1: name, 2: Any { 2: "true" } }
        #expect(OpenAPIV2Protobuf.schema(schema) == expected)
    }

    @Test func theFragmentIsADocumentWithPathsAndDefinitionsOnly() {
        let bytes = OpenAPIV2Protobuf.fragment(paths: ["/p": ["get": ["operationId": "x", "responses": [:]]]],
                                               definitions: ["d": ["type": "object"]])
        let path: [UInt8] = [0x0A, 0x02] + Array("/p".utf8)
            + [0x12, 0x07, 0x12, 0x05, 0x2A, 0x01, 0x78, 0x4A, 0x00]           // PathItem{get: Operation{operationId, responses}}
        let definition: [UInt8] = [0x0A, 0x01, 0x64, 0x12, 0x0B, 0xB2, 0x01, 0x08, 0x0A, 0x06] + Array("object".utf8)
        let expected: [UInt8] = [0x42, UInt8(path.count + 2), 0x12, UInt8(path.count)] + path
            + [0x4A, UInt8(definition.count + 2), 0x0A, UInt8(definition.count)] + definition
        #expect(bytes == expected)
    }

    @Test func queryParametersShiftTheirFieldsForAllowEmptyValue() {
        let query = OpenAPIV2Protobuf.parametersItem(["in": "query", "name": "dryRun", "type": "string", "uniqueItems": true])
        let pathParameter = OpenAPIV2Protobuf.parametersItem(["in": "path", "name": "name", "required": true, "type": "string"])
        // query: type at 6, uniqueItems at 20; path: required 1, type at 5.
        let queryBody: [UInt8] = [0x12, 0x05] + Array("query".utf8) + [0x22, 0x06] + Array("dryRun".utf8)
            + [0x32, 0x06] + Array("string".utf8) + [0xA0, 0x01, 0x01]
        #expect(query == [0x0A, UInt8(queryBody.count + 4), 0x12, UInt8(queryBody.count + 2), 0x1A, UInt8(queryBody.count)] + queryBody)
        let pathBody: [UInt8] = [0x08, 0x01, 0x12, 0x04] + Array("path".utf8) + [0x22, 0x04] + Array("name".utf8)
            + [0x2A, 0x06] + Array("string".utf8)
        #expect(pathParameter == [0x0A, UInt8(pathBody.count + 4), 0x12, UInt8(pathBody.count + 2), 0x22, UInt8(pathBody.count)] + pathBody)
    }
}
