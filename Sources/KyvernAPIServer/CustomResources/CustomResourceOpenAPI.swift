import Crypto
import Foundation
import KyvernAPI

/// The OpenAPI v3 documents of custom resources (`/openapi/v3/apis/<group>/<version>`): their
/// schemas, named and tagged with their group/version/kind as upstream names them, and the paths
/// with the query parameters clients look for. `kubectl explain` reads the schema from here, and
/// kubectl sends `fieldValidation` to the server only for paths whose operations list it.
enum CustomResourceOpenAPI {
    /// The built-in documents plus one document per custom group version; `v2` is the v2 document
    /// in JSON and protobuf with the custom resources merged in (``CustomResourceOpenAPIV2``), nil
    /// for the built-in one.
    static func documents(base: OpenAPIDocuments, meta: [String: JSONValue], versions: [CustomResourceVersion],
                          v2: (json: [UInt8], protobuf: [UInt8])? = nil) -> OpenAPIDocuments {
        var documents = base.v3Documents
        var hashes = base.v3Hashes
        var byGroupVersion: [String: [CustomResourceVersion]] = [:]
        for version in versions { byGroupVersion["apis/\(version.info.group)/\(version.info.version)", default: []].append(version) }
        for (path, members) in byGroupVersion {
            let bytes = document(for: members.sorted { $0.info.resource < $1.info.resource }, meta: meta).serialized()
            documents[path] = bytes
            hashes[path] = SHA256.hash(data: bytes).map { String(format: "%02X", $0) }.joined()
        }
        var index: [String: JSONValue] = [:]
        for (path, hash) in hashes {
            index[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        return OpenAPIDocuments(v2: v2?.json ?? base.v2, v2Protobuf: v2?.protobuf ?? base.v2Protobuf,
                                v3Index: JSONValue.object(["paths": .object(index)]).serialized(),
                                v3Documents: documents, v3Hashes: hashes)
    }

    /// `io.k8s.apimachinery...` schemas (ObjectMeta, ListMeta, Status, DeleteOptions, Patch, ...)
    /// and autoscaling/v1 Scale, taken from the built-in apps/v1 document, which refers to all of them.
    static func metaSchemas(_ base: OpenAPIDocuments) -> [String: JSONValue] {
        guard let bytes = base.v3Documents["apis/apps/v1"], let doc = try? JSONValue.parse(bytes) else { return [:] }
        var result: [String: JSONValue] = [:]
        for (name, schema) in doc[path: ["components", "schemas"]]?.objectValue ?? [:]
        where name.hasPrefix("io.k8s.apimachinery.") || name.hasPrefix("io.k8s.api.autoscaling.v1.Scale") {
            result[name] = schema
        }
        return result
    }

    /// Upstream's definition name: the group reversed, then version and kind (`com.example.stable.v1.CronTab`).
    static func definitionName(_ info: ResourceInfo, kind: String? = nil) -> String {
        let reversed = info.group.split(separator: ".").reversed().joined(separator: ".")
        return "\(reversed).\(info.version).\(kind ?? info.kind)"
    }

    static func document(for versions: [CustomResourceVersion], meta: [String: JSONValue]) -> JSONValue {
        var schemas = meta
        var paths: [String: JSONValue] = [:]
        for version in versions {
            let info = version.info
            let name = definitionName(info)
            let listName = definitionName(info, kind: info.listKind)
            schemas[name] = objectSchema(version)
            schemas[listName] = [
                "type": "object", "required": ["items"],
                "properties": [
                    "apiVersion": ["type": "string"], "kind": ["type": "string"],
                    "items": ["type": "array", "items": ref(name)],
                    "metadata": ["allOf": [ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta")], "default": [:]],
                ],
                "x-kubernetes-group-version-kind": gvk(info, kind: info.listKind),
            ]
            for (path, item) in CustomResourcePaths.paths(for: info, schema: name, listSchema: listName,
                                                          hasStatus: version.hasStatusSubresource, hasScale: version.scale != nil) {
                paths[path] = item
            }
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes CRD Swagger", "version": "v0.1.0"],
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": ["BearerToken": ["type": "apiKey", "in": "header", "name": "authorization"]],
            ],
            "security": [["BearerToken": []]],
        ]
    }

    /// The version's schema with `apiVersion`, `kind` and `metadata` as every object has them.
    static func objectSchema(_ version: CustomResourceVersion) -> JSONValue {
        var schema = version.schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        var properties = schema["properties"]?.objectValue ?? [:]
        properties["apiVersion"] = ["type": "string"]
        properties["kind"] = ["type": "string"]
        properties["metadata"] = ["allOf": [ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")]]
        schema["properties"] = .object(properties)
        if schema["type"] == nil { schema["type"] = "object" }
        schema["x-kubernetes-group-version-kind"] = gvk(version.info, kind: version.info.kind)
        return schema
    }

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    static func gvk(_ info: ResourceInfo, kind: String) -> JSONValue {
        [["group": .string(info.group), "version": .string(info.version), "kind": .string(kind)]]
    }
}
