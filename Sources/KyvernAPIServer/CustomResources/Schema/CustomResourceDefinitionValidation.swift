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
                CRDSchemaWalk.any(s) { t in
                    guard let type = t["type"]?.stringValue, !type.isEmpty else { return false }
                    return !CustomResourceDefinitionValidation.openAPIV3Types.contains(type)
                }
            }
            requireStructuralSchema = !oldSchemas.contains { !StructuralSchemaValidation.validate($0, path: "").isEmpty }
            requirePrunedDefaults = !oldSchemas.contains { CRDSchemaDefaultsValidation.hasUnprunedDefaults($0) }
            requireAtomicSetType = !oldSchemas.contains { s in CRDSchemaWalk.any(s, CRDSchemaRules.hasNonAtomicSetType) }
            requireMapListKeysMapSetValidation = !oldSchemas.contains { s in
                CRDSchemaWalk.any(s) { !CRDSchemaRules.mapListKeysMapSet($0, path: "").isEmpty }
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
        if options.allowDefaults && allSchemas.contains(where: { CRDSchemaWalk.any($0) { $0["default"] != nil } }) {
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
}
