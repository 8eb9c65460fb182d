import KyvernAPI

/// Custom resources in `/openapi/v2` (Swagger 2.0), as upstream's apiextensions server publishes
/// them: the same definition names and paths as in v3, with each schema reduced to what v2 and
/// the clients reading it (kubectl's v2 validation, the Python client) can hold.
enum CustomResourceOpenAPIV2 {
    /// `base` (the built-in v2 document) with every served custom version's definitions and paths.
    static func document(base: JSONValue, versions: [CustomResourceVersion]) -> JSONValue {
        document(base: base, custom: parts(versions))
    }

    static func document(base: JSONValue, custom: (definitions: [String: JSONValue], paths: [String: JSONValue])) -> JSONValue {
        var document = base
        document["definitions"] = .object((base["definitions"]?.objectValue ?? [:]).merging(custom.definitions) { $1 })
        document["paths"] = .object((base["paths"]?.objectValue ?? [:]).merging(custom.paths) { $1 })
        return document
    }

    /// The definitions and path items the served custom versions add to the document.
    static func parts(_ versions: [CustomResourceVersion]) -> (definitions: [String: JSONValue], paths: [String: JSONValue]) {
        var definitions: [String: JSONValue] = [:]
        var paths: [String: JSONValue] = [:]
        for version in versions {
            let info = version.info
            let name = CustomResourceOpenAPI.definitionName(info)
            let listName = CustomResourceOpenAPI.definitionName(info, kind: info.listKind)
            definitions[name] = objectSchema(version)
            definitions[listName] = [
                "type": "object", "required": ["items"],
                "properties": [
                    "apiVersion": ["type": "string"], "kind": ["type": "string"],
                    "items": ["type": "array", "items": ref(name)],
                    "metadata": ref("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"),
                ],
                "x-kubernetes-group-version-kind": CustomResourceOpenAPI.gvk(info, kind: info.listKind),
            ]
            for (path, item) in CustomResourcePaths.paths(for: info, schema: name, listSchema: listName,
                                                          hasStatus: version.hasStatusSubresource, hasScale: version.scale != nil) {
                paths[path] = pathItem(item)
            }
        }
        return (definitions, paths)
    }

    /// The version's schema in v2 form, with `apiVersion`, `kind` and `metadata` added after the
    /// reduction (so a schema that keeps unknown fields still names them).
    static func objectSchema(_ version: CustomResourceVersion) -> JSONValue {
        var schema = reduced(version.schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true])
        var properties = schema["properties"]?.objectValue ?? [:]
        properties["apiVersion"] = ["type": "string"]
        properties["kind"] = ["type": "string"]
        properties["metadata"] = ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        schema["properties"] = .object(properties)
        if schema["type"] == nil { schema["type"] = "object" }
        schema["x-kubernetes-group-version-kind"] = CustomResourceOpenAPI.gvk(version.info, kind: version.info.kind)
        return schema
    }

    /// Upstream's v3 → v2 reduction of a structural schema, node by node: junctors (`allOf`,
    /// `anyOf`, `oneOf`, `not`) go; `additionalProperties` beside `properties` goes; a nullable
    /// node loses its type, items and properties, and its name leaves its parent's `required`
    /// (v2 has no null); a node keeping unknown fields loses items and properties; an array left
    /// without items loses its type. kubectl mis-validates any of these otherwise.
    static func reduced(_ node: JSONValue) -> JSONValue {
        guard case .object(var schema) = node else { return node }
        for junctor in ["allOf", "anyOf", "oneOf", "not"] { schema[junctor] = nil }
        if schema["properties"] != nil, schema["additionalProperties"] != nil { schema["additionalProperties"] = nil }
        if schema.removeValue(forKey: "nullable")?.boolValue == true {
            schema["type"] = nil
            schema["items"] = nil
            schema["properties"] = nil
        }
        if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true {
            schema["items"] = nil
            schema["properties"] = nil
        }
        if schema["items"] == nil, schema["type"]?.stringValue == "array" { schema["type"] = nil }
        if var required = schema["required"]?.arrayValue {
            let properties = schema["properties"]?.objectValue ?? [:]
            required.removeAll { name in name.stringValue.flatMap { properties[$0]?["nullable"]?.boolValue } == true }
            if schema["additionalProperties"]?["nullable"]?.boolValue == true { required = [] }
            schema["required"] = required.isEmpty ? nil : .array(required)
        }
        if let properties = schema["properties"]?.objectValue {
            schema["properties"] = .object(properties.mapValues(reduced))
        }
        if let items = schema["items"] { schema["items"] = reduced(items) }
        if let additional = schema["additionalProperties"], case .object = additional {
            schema["additionalProperties"] = reduced(additional)
        }
        return .object(schema)
    }

    /// One v3 path item (``CustomResourcePaths``) in Swagger 2.0 form: typed parameters instead of
    /// parameter schemas, the request body as an `in: body` parameter with `consumes`, response
    /// schemas without media types, `produces` and `schemes` on every operation.
    static func pathItem(_ item: JSONValue) -> JSONValue {
        var result: [String: JSONValue] = [:]
        for (key, value) in item.objectValue ?? [:] {
            if key == "parameters" {
                result[key] = .array((value.arrayValue ?? []).map(parameter))
            } else {
                result[key] = operation(value)
            }
        }
        return .object(result)
    }

    static func operation(_ v3: JSONValue) -> JSONValue {
        var op = v3
        var parameters = (v3["parameters"]?.arrayValue ?? []).map(parameter)
        var consumes: [String] = ["*/*"]
        if let content = v3[path: ["requestBody", "content"]]?.objectValue, let first = content.keys.sorted().first {
            consumes = content.keys.sorted()
            parameters.insert(["in": "body", "name": "body", "required": true,
                               "schema": definitionsRef(content[first]?["schema"] ?? [:])], at: 0)
        }
        op["requestBody"] = nil
        op["parameters"] = parameters.isEmpty ? nil : .array(parameters)
        var responses: [String: JSONValue] = [:]
        for (code, response) in v3["responses"]?.objectValue ?? [:] {
            var converted: JSONValue = ["description": response["description"] ?? ""]
            if let schema = response["content"]?.objectValue?.values.first?["schema"] {
                converted["schema"] = definitionsRef(schema)
            }
            responses[code] = converted
        }
        op["responses"] = .object(responses)
        op["consumes"] = .array(consumes.map { .string($0) })
        var produces: [JSONValue] = ["application/json", "application/yaml"]
        if v3["x-kubernetes-action"]?.stringValue == "list" { produces.append("application/json;stream=watch") }
        op["produces"] = .array(produces)
        op["schemes"] = ["https"]
        return op
    }

    /// A v3 parameter (`schema: {type, uniqueItems}`) as v2 writes it (`type`, `uniqueItems` inline).
    static func parameter(_ v3: JSONValue) -> JSONValue {
        guard case .object(var parameter) = v3, let schema = parameter.removeValue(forKey: "schema")?.objectValue else { return v3 }
        for (key, value) in schema { parameter[key] = value }
        return .object(parameter)
    }

    /// A v3 `$ref` (`#/components/schemas/X`) pointed at v2's `#/definitions/X`.
    static func definitionsRef(_ schema: JSONValue) -> JSONValue {
        guard let target = schema["$ref"]?.stringValue, target.hasPrefix(v3Prefix) else { return schema }
        return ref(String(target.dropFirst(v3Prefix.count)))
    }

    static let v3Prefix = "#/components/schemas/"

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/definitions/\(name)")] }
}
