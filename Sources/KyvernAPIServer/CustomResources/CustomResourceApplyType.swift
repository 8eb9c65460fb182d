import KyvernAPI

/// A custom resource's structural schema in the shape server-side apply reads (the form of the
/// built-in kinds' schema entries): objects with properties merge field by field, maps
/// (`additionalProperties`) key by key unless `x-kubernetes-map-type: atomic`, lists per
/// `x-kubernetes-list-type` (`map` by `x-kubernetes-list-map-keys`, `set` by value) and atomically
/// without one, as upstream treats custom resources.
enum CustomResourceApplyType {
    static func root(_ schema: JSONValue?) -> JSONValue {
        var root = convert(schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true])
        var properties = root["properties"]?.objectValue ?? [:]
        properties["apiVersion"] = ["type": "string"]
        properties["kind"] = ["type": "string"]
        properties["metadata"] = ["ref": "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
        root["type"] = "object"
        root["properties"] = .object(properties)
        root["preserveUnknownFields"] = nil
        return root
    }

    static func convert(_ schema: JSONValue) -> JSONValue {
        if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true && schema["properties"] == nil {
            return ["type": "object", "preserveUnknownFields": true]
        }
        if schema["x-kubernetes-int-or-string"]?.boolValue == true { return ["type": "string"] }
        if schema["x-kubernetes-embedded-resource"]?.boolValue == true && schema["properties"] == nil {
            return ["type": "object", "preserveUnknownFields": true]
        }
        switch schema["type"]?.stringValue ?? "object" {
        case "object":
            if let properties = schema["properties"]?.objectValue {
                var result: JSONValue = ["type": "object", "properties": .object(properties.mapValues(convert))]
                if schema["x-kubernetes-map-type"]?.stringValue == "atomic" { result["mapType"] = "atomic" }
                return result
            }
            if let values = schema["additionalProperties"], values.objectValue != nil {
                var result: JSONValue = ["type": "map", "values": convert(values)]
                if schema["x-kubernetes-map-type"]?.stringValue == "atomic" { result["mapType"] = "atomic" }
                return result
            }
            return ["type": "object", "preserveUnknownFields": true]
        case "array":
            var result: JSONValue = ["type": "array", "items": schema["items"].map(convert) ?? ["type": "object", "preserveUnknownFields": true]]
            switch schema["x-kubernetes-list-type"]?.stringValue {
            case "map":
                result["listType"] = "map"
                result["listMapKeys"] = schema["x-kubernetes-list-map-keys"] ?? []
            case "set":
                result["listType"] = "set"
            default:
                result["listType"] = "atomic"
            }
            return result
        case let scalar:
            return ["type": .string(scalar)]
        }
    }
}
