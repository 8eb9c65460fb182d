import KyvernAPI
@testable import KyvernAPIServer
import Testing

/// A valid single-version CRD to start each case from.
private func widgetCRD(schema: JSONValue? = nil, versions: JSONValue? = nil) -> JSONValue {
    let openAPIV3Schema: JSONValue = schema ?? [
        "type": "object",
        "properties": [
            "spec": ["type": "object", "properties": ["replicas": ["type": "integer", "default": 1]]],
            "status": ["type": "object", "properties": ["replicas": ["type": "integer"]]],
        ],
    ]
    return [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "widgets.example.com"],
        "spec": [
            "group": "example.com",
            "scope": "Namespaced",
            "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                      "shortNames": ["wd"], "categories": ["all"]],
            "versions": versions ?? [[
                "name": "v1", "served": true, "storage": true,
                "schema": ["openAPIV3Schema": openAPIV3Schema],
                "subresources": ["status": [:], "scale": ["specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"]],
                "additionalPrinterColumns": [["name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"]],
            ]],
        ],
    ]
}

@Suite("CustomResourceDefinition validation")
struct CustomResourceDefinitionValidationTests {
    static func fields(_ crd: JSONValue, old: JSONValue? = nil) -> [String] {
        CustomResourceDefinitionValidation.validate(crd, old: old).map(\.fieldError)
    }

    @Test func schemaSectionsFollowTheInternalForm() {
        #expect(CustomResourceDefinitionValidation.schemaSections(widgetCRD()).map(\.fieldPrefix)
            == ["spec.validation.openAPIV3Schema"])
        let crd = widgetCRD(versions: [
            ["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": ["type": "object"]]],
            ["name": "v2", "served": true, "storage": false, "schema": ["openAPIV3Schema": ["type": "object", "description": "2"]]],
        ])
        #expect(CustomResourceDefinitionValidation.schemaSections(crd).map(\.fieldPrefix)
            == ["spec.versions[0].schema.openAPIV3Schema", "spec.versions[1].schema.openAPIV3Schema"])
    }

    @Test func validCRDPasses() {
        #expect(Self.fields(widgetCRD()) == [])
    }

    @Test func nameMustBePluralDotGroup() {
        var crd = widgetCRD()
        crd[path: ["metadata", "name"]] = "gadgets.example.com"
        #expect(Self.fields(crd) == [
            "metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group",
        ])
    }

    @Test func groupNeedsADot() {
        var crd = widgetCRD()
        crd[path: ["spec", "group"]] = "example"
        crd[path: ["metadata", "name"]] = "widgets.example"
        #expect(Self.fields(crd) == ["spec.group: Invalid value: \"example\": should be a domain with at least one dot"])
    }

    @Test func scopeAndNames() {
        var crd = widgetCRD()
        crd[path: ["spec", "scope"]] = "Global"
        crd[path: ["spec", "names"]] = ["plural": "Widgets", "kind": "Widget", "listKind": "Widget", "shortNames": ["w_d"]]
        #expect(Self.fields(crd) == [
            "metadata.name: Invalid value: \"widgets.example.com\": must be spec.names.plural+\".\"+spec.group",
            "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"",
            "spec.names.singular: Required value",
            "spec.names.plural: Invalid value: \"Widgets\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            "spec.names.shortNames[0]: Invalid value: \"w_d\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            "spec.names.listKind: Invalid value: \"Widget\": kind and listKind may not be the same",
        ])
    }

    @Test func selectableFields() {
        var crd = widgetCRD()
        crd[path: ["spec", "versions", ]] = [[
            "name": "v1", "served": true, "storage": true,
            "schema": ["openAPIV3Schema": ["type": "object", "properties": [
                "spec": ["type": "object", "properties": ["color": ["type": "string"], "size": ["type": "object"]]],
            ]]],
            "selectableFields": [["jsonPath": ".spec.color"], ["jsonPath": ".spec.size"], ["jsonPath": ".spec.nope"],
                                 ["jsonPath": ".spec.color"]],
        ]]
        #expect(Self.fields(crd) == [
            "spec.selectableFields[1].jsonPath: Invalid value: \".spec.size\": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
            "spec.selectableFields[2].jsonPath: Invalid value: \".spec.nope\": is an invalid path: does not refer to a valid field",
            "spec.selectableFields[3].jsonPath: Duplicate value: \".spec.color\"",
        ])
    }

    @Test func versionsNeedExactlyOneStorageAndUniqueNames() {
        let schema: JSONValue = ["openAPIV3Schema": ["type": "object"]]
        let crd = widgetCRD(versions: [
            ["name": "v1", "served": true, "storage": false, "schema": schema],
            ["name": "v1", "served": true, "storage": false, "schema": schema],
        ])
        let causes = CustomResourceDefinitionValidation.validate(crd, old: nil)
        #expect(causes.map(\.field) == ["spec.versions", "spec.versions"])
        #expect(causes.map { $0.message.hasSuffix("must contain unique version names") } == [true, false])
        #expect(causes[1].message.hasSuffix("must have exactly one version marked as storage version"))
    }

    @Test func versionNameIsADNSLabelAndSchemaIsRequired() {
        let crd = widgetCRD(versions: [["name": "V1", "served": true, "storage": true]])
        #expect(Self.fields(crd) == [
            "spec.versions[0].schema.openAPIV3Schema: Required value",
            "spec.versions[0].name: Invalid value: \"V1\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ])
    }

    @Test func sharedSchemaIsReportedUnderSpecValidation() {
        let crd = widgetCRD(schema: ["type": "object", "properties": ["spec": ["properties": ["a": ["type": "string"]]]]])
        #expect(Self.fields(crd) == [
            "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
        ])
    }

    @Test func perVersionSchemasAreReportedUnderTheirVersion() {
        let good: JSONValue = ["openAPIV3Schema": ["type": "object"]]
        let bad: JSONValue = ["openAPIV3Schema": ["type": "object", "properties": ["spec": ["$ref": "#/x", "type": "object"]]]]
        let crd = widgetCRD(versions: [
            ["name": "v1", "served": true, "storage": true, "schema": good],
            ["name": "v2", "served": true, "storage": false, "schema": bad],
        ])
        #expect(Self.fields(crd) == [
            "spec.versions[1].schema.openAPIV3Schema.properties[spec].$ref: Forbidden: $ref is not supported",
        ])
    }

    @Test func deprecationWarningOnlyForDeprecatedVersions() {
        let schema: JSONValue = ["openAPIV3Schema": ["type": "object"]]
        let crd = widgetCRD(versions: [["name": "v1", "served": true, "storage": true, "schema": schema,
                                        "deprecationWarning": "old"]])
        #expect(Self.fields(crd) == [
            "spec.versions[0].deprecationWarning: Invalid value: \"old\": can only be set for deprecated versions",
        ])
    }

    @Test func scaleSubresourcePaths() {
        let schema: JSONValue = ["openAPIV3Schema": ["type": "object"]]
        let crd = widgetCRD(versions: [[
            "name": "v1", "served": true, "storage": true, "schema": schema,
            "subresources": ["scale": ["specReplicasPath": "spec.replicas", "statusReplicasPath": ".spec.replicas",
                                       "labelSelectorPath": ".metadata.labels"]],
        ]])
        #expect(Self.fields(crd) == [
            "spec.subresources.scale.specReplicasPath: Invalid value: \"spec.replicas\": must be a simple json path starting with .",
            "spec.subresources.scale.statusReplicasPath: Invalid value: \".spec.replicas\": should be a json path under .status",
            "spec.subresources.scale.labelSelectorPath: Invalid value: \".metadata.labels\": should be a json path under either .spec or .status",
        ])
    }

    @Test func printerColumns() {
        let schema: JSONValue = ["openAPIV3Schema": ["type": "object"]]
        let crd = widgetCRD(versions: [[
            "name": "v1", "served": true, "storage": true, "schema": schema,
            "additionalPrinterColumns": [["type": "text", "format": "big", "jsonPath": "spec"]],
        ]])
        #expect(Self.fields(crd) == [
            "spec.additionalPrinterColumns[0].name: Required value",
            "spec.additionalPrinterColumns[0].type: Invalid value: \"text\": must be one of boolean,date,integer,number,string",
            "spec.additionalPrinterColumns[0].format: Invalid value: \"big\": must be one of byte,date,date-time,double,float,int32,int64,password",
            "spec.additionalPrinterColumns[0].JSONPath: Invalid value: \"spec\": must be a simple json path starting with .",
        ])
    }

    @Test func conversion() {
        var crd = widgetCRD()
        crd[path: ["spec", "conversion"]] = ["strategy": "Webhook"]
        #expect(Self.fields(crd) == [
            "spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook",
            "spec.conversion.conversionReviewVersions: Required value",
        ])
        crd[path: ["spec", "conversion"]] = ["strategy": "Webhook", "webhook": [
            "clientConfig": ["url": "http://example.com/convert?x=1"], "conversionReviewVersions": ["v2"],
        ]]
        #expect(Self.fields(crd) == [
            "spec.conversion.webhookClientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
            "spec.conversion.webhookClientConfig.url: Invalid value: \"x=1\": query parameters are not permitted in the URL",
            "spec.conversion.conversionReviewVersions: Invalid value: []string{\"v2\"}: must include at least one of v1, v1beta1",
        ])
        crd[path: ["spec", "conversion"]] = ["strategy": "None", "webhook": ["conversionReviewVersions": ["v1"]]]
        #expect(Self.fields(crd) == [
            "spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook",
        ])
        crd[path: ["spec", "conversion"]] = ["strategy": "Webhook", "webhook": [
            "clientConfig": ["service": ["name": "conv", "namespace": "default", "path": "/a//b", "port": 0]],
            "conversionReviewVersions": ["v1"],
        ]]
        #expect(Self.fields(crd) == [
            "spec.conversion.webhookClientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive",
            "spec.conversion.webhookClientConfig.service.path: Invalid value: \"/a//b\": segment[1] may not be empty",
        ])
    }

    @Test func protectedGroupsNeedApproval() {
        var crd = widgetCRD()
        crd[path: ["spec", "group"]] = "example.k8s.io"
        crd[path: ["metadata", "name"]] = "widgets.example.k8s.io"
        #expect(Self.fields(crd) == [
            "metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111",
        ])
        crd[path: ["metadata", "annotations"]] = ["api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/1"]
        #expect(Self.fields(crd) == [])
    }

    @Test func updateKeepsGroupAndPluralAndStoredVersions() {
        var old = widgetCRD()
        old[path: ["status", "storedVersions"]] = ["v1"]
        var new = old
        new[path: ["spec", "group"]] = "other.com"
        new[path: ["spec", "names", "plural"]] = "gadgets"
        #expect(Self.fields(new, old: old) == [
            "spec.group: Invalid value: \"other.com\": field is immutable",
            "spec.names.plural: Invalid value: \"gadgets\": field is immutable",
        ])
        var renamed = old
        renamed[path: ["spec", "versions", ]] = [[
            "name": "v2", "served": true, "storage": true, "schema": ["openAPIV3Schema": ["type": "object"]],
        ]]
        #expect(Self.fields(renamed, old: old) == [
            "status.storedVersions: Invalid value: []string{\"v1\"}: must have the storage version v2",
            "status.storedVersions[0]: Invalid value: \"v1\": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions",
        ])
    }
}

@Suite("CustomResourceDefinition schema rules")
struct CustomResourceDefinitionSchemaRulesTests {
    static let prefix = "spec.validation.openAPIV3Schema"

    static func fields(_ schema: JSONValue) -> [String] {
        CustomResourceDefinitionValidation.validate(widgetCRD(schema: schema), old: nil).map(\.fieldError)
    }

    @Test func rootMustBeAnObjectWithAType() {
        #expect(Self.fields(["properties": ["spec": ["type": "object"]]]) == [
            "\(Self.prefix).type: Required value: must not be empty at the root",
        ])
        #expect(Self.fields(["type": "array", "items": ["type": "string"]]).contains(
            "\(Self.prefix).type: Invalid value: \"array\": only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"))
    }

    @Test func typeMayBeOmittedUnderPreserveUnknownFieldsAndIntOrString() {
        #expect(Self.fields(["type": "object", "properties": [
            "spec": ["x-kubernetes-preserve-unknown-fields": true],
            "port": ["x-kubernetes-int-or-string": true],
        ]]) == [])
    }

    @Test func arraysNeedItems() {
        #expect(Self.fields(["type": "object", "properties": ["list": ["type": "array"]]]) == [
            "\(Self.prefix).properties[list].items: Required value: must be specified",
        ])
    }

    @Test func valueValidationsMayNotAddStructure() {
        let schema: JSONValue = ["type": "object", "properties": ["spec": [
            "type": "object",
            "properties": ["a": ["type": "string"]],
            "anyOf": [["properties": ["b": ["type": "string"]]], ["required": ["a"]]],
        ]]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[spec].anyOf[0].properties[b].type: Forbidden: must be empty to be structural",
            "\(Self.prefix).properties[spec].properties[b]: Required value: because it is defined in \(Self.prefix).properties[spec].anyOf[0].properties[b]",
        ])
    }

    @Test func intOrStringAnyOfPatternIsAllowed() {
        #expect(Self.fields(["type": "object", "properties": ["port": [
            "x-kubernetes-int-or-string": true, "anyOf": [["type": "integer"], ["type": "string"]],
        ]]]) == [])
    }

    @Test func rootMetadataOnlyRestrictsNames() {
        #expect(Self.fields(["type": "object", "properties": ["metadata": [
            "type": "object", "properties": ["name": ["type": "string", "maxLength": 20]],
        ]]]) == [])
        #expect(Self.fields(["type": "object", "properties": ["metadata": [
            "type": "object", "properties": ["labels": ["type": "object"]],
        ]]]) == [
            "\(Self.prefix).properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
        ])
    }

    @Test func patternsMustBeRE2() {
        #expect(Self.fields(["type": "object", "properties": [
            "a": ["type": "string", "pattern": "^(?=x)"],
            "b": ["type": "string", "pattern": "[a-z"],
        ]]) == [
            "\(Self.prefix).properties[a].pattern: Invalid value: \"^(?=x)\": must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
            "\(Self.prefix).properties[b].pattern: Invalid value: \"[a-z\": must be a valid regular expression, but isn't: error parsing regexp: missing closing ]: `[a-z`",
        ])
    }

    @Test func rootMetadataMayNotBeDescribed() {
        #expect(Self.fields(["type": "object", "properties": ["metadata": ["type": "object", "description": "x"]]]) == [
            "\(Self.prefix).properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
        ])
    }

    @Test func forbiddenKeywords() {
        let schema: JSONValue = ["type": "object", "properties": ["spec": [
            "type": "object", "uniqueItems": true, "patternProperties": ["^a": ["type": "string"]],
            "additionalProperties": ["type": "string"], "properties": ["x": ["type": "null"]],
        ]]]
        let fields = Self.fields(schema)
        #expect(fields.contains("\(Self.prefix).properties[spec].patternProperties: Forbidden: patternProperties is not supported"))
        #expect(fields.contains("\(Self.prefix).properties[spec].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
        #expect(fields.contains("\(Self.prefix).properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"))
        #expect(fields.contains("\(Self.prefix).properties[spec].properties[x].type: Forbidden: type cannot be set to null, use nullable as an alternative"))
    }

    @Test func defaultsMustValidateAndBePruned() {
        let schema: JSONValue = ["type": "object", "properties": ["spec": [
            "type": "object",
            "properties": [
                "replicas": ["type": "integer", "default": "three"],
                "nested": ["type": "object", "properties": ["a": ["type": "string"]], "default": ["a": "x", "b": 1]],
            ],
        ]]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[spec].properties[nested].default: Invalid value: map[string]interface {}{\"a\":\"x\", \"b\":1}: must not have unknown fields",
            "\(Self.prefix).properties[spec].properties[replicas].default: Invalid value: \"string\":  in body must be of type integer: \"string\"",
        ])
    }

    @Test func defaultsAreCheckedAgainstFormatsAndEmbeddedResources() {
        let schema: JSONValue = ["type": "object", "properties": [
            "contact": ["type": "string", "format": "email", "default": "abc"],
            "template": [
                "type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true,
                "default": ["kind": "Pod", "metadata": ["name": "a/b"]],
            ],
        ]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[contact].default: Invalid value: \"abc\":  in body must be of type email: \"abc\"",
            "\(Self.prefix).properties[template].default.apiVersion: Required value: must not be empty",
            "\(Self.prefix).properties[template].default.metadata.name: Invalid value: \"a/b\": may not contain '/'",
        ])
    }

    @Test func defaultsInTopLevelMetadataAreForbidden() {
        #expect(Self.fields(["type": "object", "properties": ["metadata": [
            "type": "object", "properties": ["name": ["type": "string", "default": "x"]],
        ]]]) == [
            "\(Self.prefix).properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata",
        ])
    }

    @Test func listTypes() {
        let schema: JSONValue = ["type": "object", "properties": [
            "bad": ["type": "object", "x-kubernetes-list-type": "set"],
            "map": ["type": "array", "x-kubernetes-list-type": "map",
                    "items": ["type": "object", "properties": ["name": ["type": "string"]]]],
            "keys": ["type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"],
                     "items": ["type": "object", "properties": ["name": ["type": "string"]]]],
            "set": ["type": "array", "x-kubernetes-list-type": "set",
                    "items": ["type": "object", "properties": ["a": ["type": "string"]]]],
        ]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[bad].type: Invalid value: \"object\": must be array if x-kubernetes-list-type is specified",
            "\(Self.prefix).properties[keys].x-kubernetes-list-map-keys: Invalid value: []string{\"id\"}: entries must all be names of item properties",
            "\(Self.prefix).properties[map].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
            "\(Self.prefix).properties[set].items.x-kubernetes-map-type: Invalid value: null: must be atomic as item of a list with x-kubernetes-list-type=set",
        ])
    }

    @Test func listMapKeysMustBeRequiredOrDefaulted() {
        let schema: JSONValue = ["type": "object", "properties": [
            "ports": ["type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": ["type": "object", "properties": ["name": ["type": "string", "nullable": true]]]],
        ]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[ports].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
            "\(Self.prefix).properties[ports].items.properties[name].nullable: Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
        ])
    }

    @Test func embeddedResourcesAreObjects() {
        let schema: JSONValue = ["type": "object", "properties": [
            "template": ["x-kubernetes-embedded-resource": true],
        ]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[template].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
            "\(Self.prefix).properties[template].type: Required value: must be object if x-kubernetes-embedded-resource is true",
        ])
    }

    @Test func validationRuleStaticChecks() {
        let schema: JSONValue = ["type": "object", "properties": ["spec": [
            "type": "object", "properties": ["a": ["type": "string"]],
            "x-kubernetes-validations": [
                ["rule": "  "],
                ["rule": "self.a != ''", "message": "two\nlines"],
                ["rule": "self.a != ''", "reason": "Bad"],
                ["rule": "self.a != ''", "fieldPath": ".b"],
            ],
        ]]]
        #expect(Self.fields(schema) == [
            "\(Self.prefix).properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified",
            "\(Self.prefix).properties[spec].x-kubernetes-validations[1].message: Invalid value: \"two\\nlines\": must not contain line breaks",
            "\(Self.prefix).properties[spec].x-kubernetes-validations[2].reason: Unsupported value: \"Bad\": supported values: \"FieldValueDuplicate\", \"FieldValueForbidden\", \"FieldValueInvalid\", \"FieldValueRequired\"",
            "\(Self.prefix).properties[spec].x-kubernetes-validations[3].fieldPath: Invalid value: \".b\": must be a valid path",
        ])
    }

    @Test func storedCRDKeepsWhatItWasAllowed() {
        let unpruned: JSONValue = ["type": "object", "properties": ["spec": [
            "type": "object", "properties": ["a": ["type": "string"]], "default": ["a": "x", "legacy": true],
        ]]]
        var old = widgetCRD(schema: unpruned)
        old[path: ["status", "storedVersions"]] = ["v1"]
        var new = old
        new[path: ["metadata", "labels"]] = ["touched": "yes"]
        #expect(CustomResourceDefinitionValidation.validate(new, old: old).isEmpty)
        #expect(CustomResourceDefinitionValidation.validate(new, old: nil).map(\.field) == [
            "spec.validation.openAPIV3Schema.properties[spec].default",
        ])
    }
}
