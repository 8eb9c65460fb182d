import KyvernAPI

extension CustomResourceDefinitionValidation {
    /// Each distinct `openAPIV3Schema` of a CRD with the field path upstream reports it under:
    /// `spec.validation.openAPIV3Schema` when every version shares it, else
    /// `spec.versions[i].schema.openAPIV3Schema`. This is the `fieldPrefix` to compile
    /// `x-kubernetes-validations` rules with (`CustomResourceRules.compile`), which upstream does only
    /// for schemas without other problems.
    static func schemaSections(_ crd: JSONValue) -> [(fieldPrefix: String, openAPIV3Schema: JSONValue)] {
        let spec = CustomResourceDefinitionSpecView(crd["spec"] ?? .object([:]))
        if let schema = spec.validation?["openAPIV3Schema"], schema.objectValue != nil {
            return [("spec.validation.openAPIV3Schema", schema)]
        }
        return spec.versions.enumerated().compactMap { i, version in
            guard let schema = version.schema?["openAPIV3Schema"], schema.objectValue != nil else { return nil }
            return ("spec.versions[\(i)].schema.openAPIV3Schema", schema)
        }
    }

    /// Fields a root schema may set when the status subresource is enabled (so that `status` can be
    /// taken out as `properties.status` without losing validation), in upstream's order and names.
    static let allowedAtRootWithStatus: [(json: String, go: String)] = [
        ("description", "Description"), ("type", "Type"), ("format", "Format"), ("title", "Title"),
        ("maximum", "Maximum"), ("exclusiveMaximum", "ExclusiveMaximum"), ("minimum", "Minimum"),
        ("exclusiveMinimum", "ExclusiveMinimum"), ("maxLength", "MaxLength"), ("minLength", "MinLength"),
        ("pattern", "Pattern"), ("maxItems", "MaxItems"), ("minItems", "MinItems"), ("uniqueItems", "UniqueItems"),
        ("multipleOf", "MultipleOf"), ("required", "Required"), ("items", "Items"), ("properties", "Properties"),
        ("externalDocs", "ExternalDocs"), ("example", "Example"),
        ("x-kubernetes-preserve-unknown-fields", "XPreserveUnknownFields"),
        ("x-kubernetes-validations", "XValidations"),
    ]

    /// JSONSchemaProps' fields in Go struct order, which decides which offending field upstream reports first.
    static let schemaFieldOrder = [
        "id", "$schema", "$ref", "description", "type", "nullable", "format", "title", "default", "maximum",
        "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "multipleOf", "enum", "maxProperties", "minProperties", "required", "items", "allOf", "oneOf",
        "anyOf", "not", "properties", "additionalProperties", "patternProperties", "dependencies", "additionalItems",
        "definitions", "externalDocs", "example", "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string", "x-kubernetes-list-map-keys",
        "x-kubernetes-list-type", "x-kubernetes-map-type", "x-kubernetes-validations",
    ]

    /// A `schema` section (`{openAPIV3Schema: ...}`) at `path` (`spec.validation` or `spec.versions[i].schema`).
    static func validateSchemaSection(_ section: JSONValue, path: String, statusEnabled: Bool,
                                      options: Options) -> [APIError.Cause] {
        guard let schema = section["openAPIV3Schema"], schema.objectValue != nil else { return [] }
        let schemaPath = path + ".openAPIV3Schema"
        var causes: [APIError.Cause] = []
        if statusEnabled {
            let allowed = Set(allowedAtRootWithStatus.map(\.json))
            for key in schemaFieldOrder {
                guard let value = schema[key], isSet(value) else { continue }
                if key == "type" {
                    if value.stringValue != "object" {
                        causes.append(.invalid(schemaPath + ".type", value,
                            "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"))
                        break
                    }
                    continue
                }
                if !allowed.contains(key) {
                    let names = "[" + allowedAtRootWithStatus.map(\.go).joined(separator: " ") + "]"
                    causes.append(.invalid(schemaPath, rendered: "apiextensions.JSONSchemaProps{...}",
                        "only \(names) fields are allowed at the root of the schema if the status subresource is enabled"))
                    break
                }
            }
        }
        if schema["nullable"]?.boolValue == true {
            causes.append(.forbidden(schemaPath + ".nullable", "nullable cannot be true at the root"))
        }
        if options.requireStructuralSchema {
            let structural = StructuralSchemaValidation.validate(schema, path: schemaPath)
            if !structural.isEmpty {
                causes += structural
            } else {
                causes += CRDSchemaDefaultsValidation.validate(schema, path: schemaPath, requirePruned: options.requirePrunedDefaults)
            }
        }
        let rules = CRDSchemaRules(allowDefaults: options.allowDefaults,
                                requireValidPropertyType: options.requireValidPropertyType,
                                requireAtomicSetType: options.requireAtomicSetType,
                                requireMapListKeysMapSetValidation: options.requireMapListKeysMapSetValidation)
        causes += rules.validate(schema, path: schemaPath, isRoot: true)
        return causes
    }

    /// Go's zero-value test for a decoded JSONSchemaProps field.
    static func isSet(_ value: JSONValue) -> Bool {
        switch value {
        case .null: false
        case .bool(let b): b
        case .string(let s): !s.isEmpty
        default: true
        }
    }
}
