import Foundation
import KyvernAPI

/// Upstream's validation of a CustomResourceDefinition object (apiextensions' `ValidateCustomResourceDefinition`
/// and its update variant), over the raw JSON, with upstream's field paths and messages.
///
/// Generic metadata rules (name format, labels, ...) are the resource handler's; this adds what is
/// particular to CRDs, including the name's `<plural>.<group>` form. Rules that a stored CRD was
/// allowed to break (non-structural schemas, unpruned defaults, ...) are relaxed on update when the
/// old object already broke them, as upstream does. CEL rules are compiled by `CustomResourceRules`.
enum CustomResourceDefinitionValidation {
    static func validate(_ crd: JSONValue, old: JSONValue?) -> [APIError.Cause] {
        let spec = CustomResourceDefinitionSpecView(crd["spec"] ?? .object([:]))
        var options = Options()
        if let old {
            let oldSpec = CustomResourceDefinitionSpecView(old["spec"] ?? .object([:]))
            options = Options(relaxedFor: oldSpec, oldCRD: old)
        }
        var causes: [APIError.Cause] = []
        if old == nil {
            let name = crd[path: ["metadata", "name"]]?.stringValue ?? ""
            let plural = spec.names["plural"]?.stringValue ?? ""
            if !name.isEmpty && name != plural + "." + spec.group {
                causes.append(.invalid("metadata.name", .string(name), "must be spec.names.plural+\".\"+spec.group"))
            }
        }
        causes += validateSpec(spec, options: options)
        if let old {
            causes += validateSpecUpdate(spec, CustomResourceDefinitionSpecView(old["spec"] ?? .object([:])),
                                         established: isEstablished(old))
        }
        causes += validateNames(crd[path: ["status", "acceptedNames"]] ?? .object([:]), path: "status.acceptedNames")
        // Upstream fills `status.storedVersions` before validating a create; the list is checked
        // whenever the object carries it.
        if let stored = crd[path: ["status", "storedVersions"]], !stored.isNull {
            causes += validateStoredVersions(stored, versions: spec.versions)
        }
        causes += validateAPIApproval(crd, old: old, group: spec.group)
        causes += validatePreserveUnknownFields(spec, old: old)
        return causes
    }

    /// What an update may keep that a create may not (upstream's "don't tighten validation on
    /// existing persisted data").
    struct Options {
        var requireOpenAPISchema = true
        var requireValidPropertyType = true
        var requireStructuralSchema = true
        var requirePrunedDefaults = true
        var requireAtomicSetType = true
        var requireMapListKeysMapSetValidation = true
        var requireRecognizedConversionReviewVersion = true
        var allowDefaults = true

        init() {}

        init(relaxedFor old: CustomResourceDefinitionSpecView, oldCRD: JSONValue) {
            let oldSchemas = Self.schemas(of: old)
            requireOpenAPISchema = old.validation?["openAPIV3Schema"] != nil
                || old.versions.allSatisfy { $0.schema?["openAPIV3Schema"] != nil }
            requireValidPropertyType = !oldSchemas.contains { s in
                SchemaWalk.any(s) { t in
                    guard let type = t["type"]?.stringValue, !type.isEmpty else { return false }
                    return !CustomResourceDefinitionValidation.openAPIV3Types.contains(type)
                }
            }
            requireStructuralSchema = !oldSchemas.contains { !StructuralSchemaValidation.validate($0, path: "").isEmpty }
            requirePrunedDefaults = !oldSchemas.contains { SchemaDefaultsValidation.hasUnprunedDefaults($0) }
            requireAtomicSetType = !oldSchemas.contains { s in SchemaWalk.any(s, SchemaRules.hasNonAtomicSetType) }
            requireMapListKeysMapSetValidation = !oldSchemas.contains { s in
                SchemaWalk.any(s) { !SchemaRules.mapListKeysMapSet($0, path: "").isEmpty }
            }
            if let versions = old.conversion?["conversionReviewVersions"]?.arrayValue, !versions.isEmpty {
                requireRecognizedConversionReviewVersion = versions.contains {
                    CustomResourceDefinitionValidation.acceptedConversionReviewVersions.contains($0.stringValue ?? "")
                }
            }
        }

        static func schemas(of spec: CustomResourceDefinitionSpecView) -> [JSONValue] {
            var out: [JSONValue] = []
            if let s = spec.validation?["openAPIV3Schema"], !s.isNull { out.append(s) }
            for v in spec.versions { if let s = v.schema?["openAPIV3Schema"], !s.isNull { out.append(s) } }
            return out
        }
    }

    static let openAPIV3Types: [String] = ["array", "boolean", "integer", "number", "object", "string"]
    static let acceptedConversionReviewVersions: [String] = ["v1", "v1beta1"]
    static let printerColumnTypes = ["boolean", "date", "integer", "number", "string"]
    static let printerColumnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]

    static func isEstablished(_ crd: JSONValue) -> Bool {
        (crd[path: ["status", "conditions"]]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Established" && $0["status"]?.stringValue == "True"
        }
    }

    // MARK: spec

    static func validateSpec(_ spec: CustomResourceDefinitionSpecView, options: Options) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        var options = options
        if spec.group.isEmpty {
            causes.append(.required("spec.group"))
        } else if case let errors = NameValidation.isDNS1123Subdomain(spec.group), !errors.isEmpty {
            causes.append(.invalid("spec.group", .string(spec.group), errors.joined(separator: ",")))
        } else if !spec.group.contains(".") {
            causes.append(.invalid("spec.group", .string(spec.group), "should be a domain with at least one dot"))
        }
        causes += enumString("spec.scope", spec.scope, ["Cluster", "Namespaced"], required: true)

        if !spec.preserveUnknownFields { options.requireStructuralSchema = true }
        let hasSharedSchema = spec.validation?["openAPIV3Schema"].map { !$0.isNull } ?? false
        if options.requireOpenAPISchema {
            if !hasSharedSchema {
                for (i, v) in spec.versions.enumerated() where v.schema?["openAPIV3Schema"].map({ $0.isNull }) ?? true {
                    causes.append(.required("spec.versions[\(i)].schema.openAPIV3Schema"))
                }
            }
        } else if !spec.preserveUnknownFields && !hasSharedSchema {
            for (i, v) in spec.versions.enumerated()
            where v.served && (v.schema?["openAPIV3Schema"].map({ $0.isNull }) ?? true) {
                causes.append(.required("spec.versions[\(i)].schema.openAPIV3Schema", "because otherwise all fields are pruned"))
            }
        }
        let allSchemas = Options.schemas(of: spec)
        if options.allowDefaults && allSchemas.contains(where: { SchemaWalk.any($0) { $0["default"] != nil } }) {
            options.requireStructuralSchema = true
            if spec.preserveUnknownFields {
                causes.append(.invalid("spec.preserveUnknownFields", .bool(true), "must be false in order to use defaults in the schema"))
            }
        }

        var storageCount = 0
        var seen: Set<String> = []
        var unique = true
        for (i, version) in spec.versions.enumerated() {
            if version.storage { storageCount += 1 }
            if !seen.insert(version.name).inserted { unique = false }
            let errors = NameValidation.isDNS1035Label(version.name)
            if !errors.isEmpty {
                causes.append(.invalid("spec.versions[\(i)].name", .string(version.name), errors.joined(separator: ",")))
            }
            let statusEnabled = spec.subresources(forVersionAt: i)?["status"] != nil
            causes += validateVersion(version, path: "spec.versions[\(i)]", statusEnabled: statusEnabled,
                                      schema: spec.openAPIV3Schema(forVersionAt: i), options: options)
        }
        if spec.versions.isEmpty {
            causes.append(.invalid("spec.versions", rendered: renderVersions(spec.versions),
                                   "must have exactly one version marked as storage version"))
        } else {
            if !unique {
                causes.append(.invalid("spec.versions", rendered: renderVersions(spec.versions), "must contain unique version names"))
            }
            if storageCount != 1 {
                causes.append(.invalid("spec.versions", rendered: renderVersions(spec.versions),
                                       "must have exactly one version marked as storage version"))
            }
        }

        for key in ["plural", "singular", "kind", "listKind"] where (spec.names[key]?.stringValue ?? "").isEmpty {
            causes.append(.required("spec.names.\(key)"))
        }
        causes += validateNames(spec.names, path: "spec.names")
        if let validation = spec.validation {
            causes += validateSchemaSection(validation, path: "spec.validation", statusEnabled: spec.hasAnyStatus,
                                            options: options)
        }
        causes += validateSubresources(spec.subresources, path: "spec.subresources")
        for (i, column) in spec.columns.enumerated() {
            causes += validateColumn(column, path: "spec.additionalPrinterColumns[\(i)]")
        }
        if !spec.selectableFields.isEmpty {
            let schema = spec.validation?["openAPIV3Schema"].flatMap { $0.isNull ? nil : $0 }
            causes += validateSelectableFields(spec.selectableFields, schema: schema, path: "spec.selectableFields")
        }
        if let strategy = spec.conversion?["strategy"]?.stringValue, strategy != "None", spec.preserveUnknownFields {
            causes.append(.invalid("spec.conversion.strategy", .string(strategy), "must be None if spec.preserveUnknownFields is true"))
        }
        causes += validateConversion(spec.conversion, requireRecognizedVersion: options.requireRecognizedConversionReviewVersion)
        return causes
    }

    static func validateVersion(_ version: CustomResourceDefinitionSpecView.Version, path: String, statusEnabled: Bool,
                                schema: JSONValue?, options: Options) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for problem in deprecationWarningProblems(deprecated: version.deprecated, warning: version.deprecationWarning) {
            causes.append(.invalid(path + ".deprecationWarning", version.deprecationWarning ?? .null, problem))
        }
        if let section = version.schema {
            causes += validateSchemaSection(section, path: path + ".schema", statusEnabled: statusEnabled, options: options)
        }
        causes += validateSubresources(version.subresources, path: path + ".subresources")
        for (i, column) in version.columns.enumerated() {
            causes += validateColumn(column, path: path + ".additionalPrinterColumns[\(i)]")
        }
        if !version.selectableFields.isEmpty {
            causes += validateSelectableFields(version.selectableFields, schema: schema, path: path + ".selectableFields")
        }
        return causes
    }

    static let maxSelectableFields = 8

    /// `selectableFields`: each a `.`-path to a string, boolean or integer field outside metadata,
    /// no duplicates, at most eight.
    static func validateSelectableFields(_ fields: [JSONValue], schema: JSONValue?, path: String) -> [APIError.Cause] {
        guard let schema else {
            let detail = path.hasPrefix("spec.versions")
                ? "may only be set when `version.schema.openAPIV3Schema` is not included"
                : "may only be set when validations.schema is included"
            return [.invalid(path, .string(""), detail)]
        }
        var causes: [APIError.Cause] = []
        var unique: [String] = []
        for (i, field) in fields.enumerated() {
            let fieldPath = "\(path)[\(i)].jsonPath"
            let jsonPath = field["jsonPath"]?.stringValue ?? ""
            if jsonPath.isEmpty {
                causes.append(.required(fieldPath))
                continue
            }
            guard jsonPath.hasPrefix("."), !jsonPath.contains("["),
                  let target = resolveDotted(jsonPath, in: schema) else {
                causes.append(.invalid(fieldPath, .string(jsonPath), "is an invalid path: does not refer to a valid field"))
                continue
            }
            if jsonPath.hasPrefix(".metadata.") || jsonPath == ".metadata" {
                causes.append(.invalid(fieldPath, .string(jsonPath), "must not point to fields in metadata"))
            }
            if !["string", "boolean", "integer"].contains(target["type"]?.stringValue ?? "") {
                causes.append(.invalid(fieldPath, .string(jsonPath),
                    "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."))
            }
            if unique.contains(jsonPath) {
                causes.append(.duplicate(fieldPath, .string(jsonPath)))
            } else {
                unique.append(jsonPath)
            }
        }
        if unique.count > maxSelectableFields {
            causes.append(.schemaTooMany(path, actual: Int64(unique.count), max: Int64(maxSelectableFields)))
        }
        return causes
    }

    static func resolveDotted(_ path: String, in schema: JSONValue) -> JSONValue? {
        var node: JSONValue? = schema
        for name in path.dropFirst().split(separator: ".", omittingEmptySubsequences: false) {
            guard !name.isEmpty, let current = node else { return nil }
            node = SchemaFieldPath.member(current, String(name))
        }
        return node
    }

    static func deprecationWarningProblems(deprecated: Bool, warning: JSONValue?) -> [String] {
        if !deprecated && warning != nil { return ["can only be set for deprecated versions"] }
        guard let text = warning?.stringValue else { return [] }
        var problems: [String] = []
        if text.utf8.count > 256 { problems.append("must be <= 256 characters long") }
        if text.isEmpty { problems.append("must not be an empty string") }
        var offset = 0
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                problems.append("must only contain printable UTF-8 characters; control character found at index \(offset)")
                break
            }
            if !isPrintable(scalar) {
                problems.append("must only contain printable UTF-8 characters; non-printable character found at index \(offset)")
                break
            }
            offset += String(scalar).utf8.count
        }
        return problems
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    static func enumString(_ field: String, _ value: String, _ accepted: [String], required: Bool) -> [APIError.Cause] {
        if value.isEmpty { return required ? [.required(field)] : [] }
        return accepted.contains(value) ? [] : [.notSupported(field, .string(value), supported: accepted)]
    }

    /// Go's `%#v` of the versions, reduced to the fields that identify them.
    static func renderVersions(_ versions: [CustomResourceDefinitionSpecView.Version]) -> String {
        "[]apiextensions.CustomResourceDefinitionVersion{" + versions.map {
            "apiextensions.CustomResourceDefinitionVersion{Name:\(goQuote($0.name)), Served:\($0.served), Storage:\($0.storage), Deprecated:\($0.deprecated)}"
        }.joined(separator: ", ") + "}"
    }

    // MARK: update

    static func validateSpecUpdate(_ spec: CustomResourceDefinitionSpecView, _ old: CustomResourceDefinitionSpecView,
                                   established: Bool) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let immutable = "field is immutable"
        if established {
            if spec.scope != old.scope { causes.append(.invalid("spec.scope", .string(spec.scope), immutable)) }
            let kind = spec.names["kind"]?.stringValue ?? "", oldKind = old.names["kind"]?.stringValue ?? ""
            if kind != oldKind { causes.append(.invalid("spec.names.kind", .string(kind), immutable)) }
        }
        if spec.group != old.group { causes.append(.invalid("spec.group", .string(spec.group), immutable)) }
        let plural = spec.names["plural"]?.stringValue ?? "", oldPlural = old.names["plural"]?.stringValue ?? ""
        if plural != oldPlural { causes.append(.invalid("spec.names.plural", .string(plural), immutable)) }
        return causes
    }

    static func validateStoredVersions(_ stored: JSONValue?, versions: [CustomResourceDefinitionSpecView.Version])
        -> [APIError.Cause] {
        let storedVersions = (stored?.arrayValue ?? []).compactMap(\.stringValue)
        let rendered = GoValueRendering.stringSlice(stored?.arrayValue == nil ? nil : stored)
        if storedVersions.isEmpty {
            return [.invalid("status.storedVersions", rendered: rendered, "must have at least one stored version")]
        }
        var causes: [APIError.Cause] = []
        var remaining: [String: Int] = [:]
        for (i, v) in storedVersions.enumerated() { remaining[v] = i }
        for v in versions {
            let present = remaining[v.name] != nil
            if v.storage && !present {
                causes.append(.invalid("status.storedVersions", rendered: rendered, "must have the storage version " + v.name))
            }
            if present { remaining[v.name] = nil }
        }
        for (v, i) in remaining.sorted(by: { $0.value < $1.value }) {
            causes.append(.invalid("status.storedVersions[\(i)]", .string(v),
                "missing from spec.versions; \(v) was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in \(v) and removes \(v) from status.storedVersions"))
        }
        return causes
    }

    // MARK: names

    static func validateNames(_ names: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let plural = names["plural"]?.stringValue ?? ""
        let singular = names["singular"]?.stringValue ?? ""
        let kind = names["kind"]?.stringValue ?? ""
        let listKind = names["listKind"]?.stringValue ?? ""
        if !plural.isEmpty, case let e = NameValidation.isDNS1035Label(plural), !e.isEmpty {
            causes.append(.invalid(path + ".plural", .string(plural), e.joined(separator: ",")))
        }
        if !singular.isEmpty, case let e = NameValidation.isDNS1035Label(singular), !e.isEmpty {
            causes.append(.invalid(path + ".singular", .string(singular), e.joined(separator: ",")))
        }
        if !kind.isEmpty, case let e = NameValidation.isDNS1035Label(kind.lowercased()), !e.isEmpty {
            causes.append(.invalid(path + ".kind", .string(kind),
                                   "may have mixed case, but should otherwise match: " + e.joined(separator: ",")))
        }
        if !listKind.isEmpty, case let e = NameValidation.isDNS1035Label(listKind.lowercased()), !e.isEmpty {
            causes.append(.invalid(path + ".listKind", .string(listKind),
                                   "may have mixed case, but should otherwise match: " + e.joined(separator: ",")))
        }
        for (i, shortName) in (names["shortNames"]?.arrayValue ?? []).enumerated() {
            let s = shortName.stringValue ?? ""
            let e = NameValidation.isDNS1035Label(s)
            if !e.isEmpty { causes.append(.invalid(path + ".shortNames[\(i)]", .string(s), e.joined(separator: ","))) }
        }
        if !kind.isEmpty && kind == listKind {
            causes.append(.invalid(path + ".listKind", .string(listKind), "kind and listKind may not be the same"))
        }
        for (i, category) in (names["categories"]?.arrayValue ?? []).enumerated() {
            let s = category.stringValue ?? ""
            let e = NameValidation.isDNS1035Label(s)
            if !e.isEmpty { causes.append(.invalid(path + ".categories[\(i)]", .string(s), e.joined(separator: ","))) }
        }
        return causes
    }

    // MARK: subresources and columns

    static func validateSubresources(_ subresources: JSONValue?, path: String) -> [APIError.Cause] {
        guard let scale = subresources?["scale"], !scale.isNull else { return [] }
        var causes: [APIError.Cause] = []
        let specPath = scale["specReplicasPath"]?.stringValue ?? ""
        if specPath.isEmpty {
            causes.append(.required(path + ".scale.specReplicasPath"))
        } else {
            let errors = simpleJSONPath(specPath, field: path + ".scale.specReplicasPath")
            if !errors.isEmpty {
                causes += errors
            } else if !specPath.hasPrefix(".spec.") {
                causes.append(.invalid(path + ".scale.specReplicasPath", .string(specPath), "should be a json path under .spec"))
            }
        }
        let statusPath = scale["statusReplicasPath"]?.stringValue ?? ""
        if statusPath.isEmpty {
            causes.append(.required(path + ".scale.statusReplicasPath"))
        } else {
            let errors = simpleJSONPath(statusPath, field: path + ".scale.statusReplicasPath")
            if !errors.isEmpty {
                causes += errors
            } else if !statusPath.hasPrefix(".status.") {
                causes.append(.invalid(path + ".scale.statusReplicasPath", .string(statusPath), "should be a json path under .status"))
            }
        }
        if let selector = scale["labelSelectorPath"]?.stringValue, !selector.isEmpty {
            let errors = simpleJSONPath(selector, field: path + ".scale.labelSelectorPath")
            if !errors.isEmpty {
                causes += errors
            } else if !selector.hasPrefix(".spec.") && !selector.hasPrefix(".status.") {
                causes.append(.invalid(path + ".scale.labelSelectorPath", .string(selector),
                                       "should be a json path under either .spec or .status"))
            }
        }
        return causes
    }

    static func simpleJSONPath(_ s: String, field: String) -> [APIError.Cause] {
        if s.isEmpty { return [.invalid(field, .string(s), "must not be empty")] }
        if !s.hasPrefix(".") { return [.invalid(field, .string(s), "must be a simple json path starting with .")] }
        return []
    }

    static func validateColumn(_ column: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let name = column["name"]?.stringValue ?? ""
        let type = column["type"]?.stringValue ?? ""
        let format = column["format"]?.stringValue ?? ""
        let jsonPath = column["jsonPath"]?.stringValue ?? ""
        if name.isEmpty { causes.append(.required(path + ".name")) }
        let typeDetail = "must be one of " + printerColumnTypes.joined(separator: ",")
        if type.isEmpty {
            causes.append(.required(path + ".type", typeDetail))
        } else if !printerColumnTypes.contains(type) {
            causes.append(.invalid(path + ".type", .string(type), typeDetail))
        }
        if !format.isEmpty && !printerColumnFormats.contains(format) {
            causes.append(.invalid(path + ".format", .string(format), "must be one of " + printerColumnFormats.joined(separator: ",")))
        }
        if jsonPath.isEmpty {
            causes.append(.required(path + ".JSONPath"))
        } else {
            causes += simpleJSONPath(jsonPath, field: path + ".JSONPath")
        }
        return causes
    }

    // MARK: conversion

    static func validateConversion(_ conversion: JSONValue?, requireRecognizedVersion: Bool) -> [APIError.Cause] {
        guard let conversion else { return [] }
        let path = "spec.conversion"
        var causes: [APIError.Cause] = []
        let strategy = conversion["strategy"]?.stringValue ?? ""
        causes += enumString(path + ".strategy", strategy, ["None", "Webhook"], required: true)
        // Upstream validates its internal form, whose fields are `webhookClientConfig` and
        // `conversionReviewVersions` directly under `conversion`; its messages use those paths.
        let webhook = conversion["webhook"].flatMap { $0.isNull ? nil : $0 }
        let config = webhook?["clientConfig"].flatMap { $0.isNull ? nil : $0 }
        let versions = webhook?["conversionReviewVersions"]?.arrayValue ?? []
        if strategy == "Webhook" {
            if let config {
                causes += ConversionWebhookClientConfigValidation.validate(config, path: path + ".webhookClientConfig")
            } else {
                causes.append(.required(path + ".webhookClientConfig", "required when strategy is set to Webhook"))
            }
            causes += validateConversionReviewVersions(versions, requireRecognized: requireRecognizedVersion,
                                                       path: path + ".conversionReviewVersions")
        } else {
            if config != nil {
                causes.append(.forbidden(path + ".webhookClientConfig", "should not be set when strategy is not set to Webhook"))
            }
            if !versions.isEmpty {
                causes.append(.forbidden(path + ".conversionReviewVersions", "should not be set when strategy is not set to Webhook"))
            }
        }
        return causes
    }

    static func validateConversionReviewVersions(_ versions: [JSONValue], requireRecognized: Bool, path: String)
        -> [APIError.Cause] {
        if versions.isEmpty { return [.required(path)] }
        var causes: [APIError.Cause] = []
        var seen: Set<String> = []
        var hasAccepted = false
        for (i, value) in versions.enumerated() {
            let v = value.stringValue ?? ""
            if !seen.insert(v).inserted {
                causes.append(.invalid("\(path)[\(i)]", .string(v), "duplicate version"))
                continue
            }
            for e in NameValidation.isDNS1035Label(v) { causes.append(.invalid("\(path)[\(i)]", .string(v), e)) }
            if acceptedConversionReviewVersions.contains(v) { hasAccepted = true }
        }
        if requireRecognized && !hasAccepted {
            causes.append(.invalid(path, rendered: GoValueRendering.stringSlice(.array(versions)),
                                   "must include at least one of " + acceptedConversionReviewVersions.joined(separator: ", ")))
        }
        return causes
    }

    // MARK: approval and preserveUnknownFields

    static let approvalAnnotation = "api-approved.kubernetes.io"

    /// Groups under `k8s.io` and `kubernetes.io` need an API review link (upstream's API approval).
    static func validateAPIApproval(_ crd: JSONValue, old: JSONValue?, group: String) -> [APIError.Cause] {
        let protected = group == "k8s.io" || group.hasSuffix(".k8s.io") || group == "kubernetes.io"
            || group.hasSuffix(".kubernetes.io")
        guard protected else { return [] }
        func state(_ object: JSONValue?) -> (state: String, reason: String, value: String?) {
            guard let value = object?[path: ["metadata", "annotations", approvalAnnotation]]?.stringValue,
                  !value.isEmpty else {
                return ("missing", "protected groups must have approval annotation \"\(approvalAnnotation)\", see https://github.com/kubernetes/enhancements/pull/1111", nil)
            }
            if value.hasPrefix("unapproved") { return ("bypassed", "", value) }
            if let url = URLComponentsLite(value), url.isAbsolute { return ("approved", "", value) }
            return ("invalid", "protected groups must have approval annotation \"\(approvalAnnotation)\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111", value)
        }
        let new = state(crd)
        if let old, state(old).state == new.state { return [] }
        let field = "metadata.annotations[\(approvalAnnotation)]"
        switch new.state {
        case "missing": return [.required(field, new.reason)]
        case "invalid": return [.invalid(field, .string(new.value ?? ""), new.reason)]
        default: return []
        }
    }

    static func validatePreserveUnknownFields(_ spec: CustomResourceDefinitionSpecView, old: JSONValue?) -> [APIError.Cause] {
        if old?[path: ["spec", "preserveUnknownFields"]]?.boolValue == true { return [] }
        guard spec.preserveUnknownFields else { return [] }
        return [.invalid("spec.preserveUnknownFields", .bool(true),
                         "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")]
    }
}

/// Just enough of a URL parse to tell a `scheme://host/...` link from free text.
struct URLComponentsLite {
    let scheme: String
    let host: String

    init?(_ s: String) {
        guard let range = s.range(of: "://") else { return nil }
        scheme = String(s[..<range.lowerBound])
        let rest = s[range.upperBound...]
        host = String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }

    var isAbsolute: Bool { !scheme.isEmpty && !scheme.contains(" ") && !host.isEmpty }
}
