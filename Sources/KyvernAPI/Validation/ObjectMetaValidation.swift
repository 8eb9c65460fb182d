/// Upstream's total size limit of an object's annotations (keys plus values), 256 KiB.
public let totalAnnotationSizeLimitBytes = 256 * 1024

/// Validates an object's `metadata` on create and update (upstream's `ValidateObjectMeta`), returning
/// one cause per problem, in upstream's order and wording, for `APIError.invalid`.
///
/// - Parameters:
///   - meta: the `metadata` object (null or absent reads as `{}`).
///   - namespaced: whether the kind lives in namespaces; cluster-scoped kinds must not set one.
///   - nameRule: the name format the kind requires.
///   - fieldPath: the path of `meta` in the object, prefixed to every cause's field.
///
/// A missing name is accepted when `generateName` is set (the server fills the name in afterwards);
/// `generateName` itself is checked as a prefix under `nameRule`. Wrong JSON types, which upstream's
/// typed decoder would refuse, are reported as `FieldValueTypeInvalid` causes.
public func validateObjectMeta(_ meta: JSONValue, namespaced: Bool, nameRule: NameRule,
                               fieldPath: String = "metadata") -> [APIError.Cause] {
    var causes: [APIError.Cause] = []
    let object: [String: JSONValue]
    switch meta {
    case .null: object = [:]
    case .object(let o): object = o
    default: return [.typeInvalid(fieldPath, meta, "must be an object")]
    }
    func path(_ child: String) -> String { fieldPath.isEmpty ? child : fieldPath + "." + child }

    /// A string member; wrong types are reported and read as "".
    func string(_ key: String) -> String {
        switch object[key] {
        case nil, .null?: return ""
        case .string(let s)?: return s
        case let other?:
            causes.append(.typeInvalid(path(key), other, "must be a string"))
            return ""
        }
    }

    let generateName = string("generateName")
    let name = string("name")
    let namespace = string("namespace")

    if !generateName.isEmpty {
        for message in nameRule.validate(generateName, prefix: true) {
            causes.append(.invalid(path("generateName"), .string(generateName), message))
        }
    }
    if name.isEmpty {
        if generateName.isEmpty {
            causes.append(.required(path("name"), "name or generateName is required"))
        }
    } else {
        for message in nameRule.validate(name, prefix: false) {
            causes.append(.invalid(path("name"), .string(name), message))
        }
    }

    if namespaced {
        if namespace.isEmpty {
            causes.append(.required(path("namespace")))
        } else {
            for message in NameValidation.isDNS1123Label(namespace) {
                causes.append(.invalid(path("namespace"), .string(namespace), message))
            }
        }
    } else if !namespace.isEmpty {
        causes.append(.forbidden(path("namespace"), "not allowed on this type"))
    }

    switch object["generation"] {
    case nil, .null?: break
    case .int(let g)?:
        if g < 0 { causes.append(.invalid(path("generation"), .int(g), "must be greater than or equal to 0")) }
    case let other?:
        causes.append(.typeInvalid(path("generation"), other, "must be an integer"))
    }

    if let labels = stringMap(object["labels"], field: path("labels"), causes: &causes) {
        causes.append(contentsOf: validateLabels(labels, fieldPath: path("labels")))
    }
    if let annotations = stringMap(object["annotations"], field: path("annotations"), causes: &causes) {
        causes.append(contentsOf: validateAnnotations(annotations, fieldPath: path("annotations")))
    }
    causes.append(contentsOf: validateOwnerReferences(object["ownerReferences"], fieldPath: path("ownerReferences")))
    causes.append(contentsOf: validateFinalizers(object["finalizers"], fieldPath: path("finalizers")))
    return causes
}

/// Label keys must be qualified names and values label values (upstream's `ValidateLabels`;
/// every cause names the `labels` map itself, as upstream's do).
public func validateLabels(_ labels: [String: String], fieldPath: String) -> [APIError.Cause] {
    var causes: [APIError.Cause] = []
    for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
        for message in NameValidation.isQualifiedName(key) {
            causes.append(.invalid(fieldPath, .string(key), message))
        }
        for message in NameValidation.isValidLabelValue(value) {
            causes.append(.invalid(fieldPath, .string(value), message))
        }
    }
    return causes
}

/// Annotation keys must be qualified names, compared in lower case, and keys plus values must
/// total at most 256 KiB (upstream's `ValidateAnnotations`).
public func validateAnnotations(_ annotations: [String: String], fieldPath: String) -> [APIError.Cause] {
    var causes: [APIError.Cause] = []
    var total = 0
    for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
        for message in NameValidation.isQualifiedName(key.lowercased()) {
            causes.append(.invalid(fieldPath, .string(key), message))
        }
        total += key.utf8.count + value.utf8.count
    }
    if total > totalAnnotationSizeLimitBytes {
        causes.append(.tooLong(fieldPath, maxBytes: totalAnnotationSizeLimitBytes))
    }
    return causes
}

/// Finalizers must be qualified names, and the orphan and foreground-deletion finalizers exclude
/// each other (upstream's `ValidateFinalizers`).
public func validateFinalizers(_ value: JSONValue?, fieldPath: String) -> [APIError.Cause] {
    guard let value, !value.isNull else { return [] }
    guard let list = value.arrayValue else { return [.typeInvalid(fieldPath, value, "must be a list of strings")] }
    var causes: [APIError.Cause] = []
    var finalizers: [String] = []
    for element in list {
        guard let finalizer = element.stringValue else {
            causes.append(.typeInvalid(fieldPath, element, "must be a string"))
            continue
        }
        finalizers.append(finalizer)
        for message in NameValidation.isQualifiedName(finalizer) {
            causes.append(.invalid(fieldPath, .string(finalizer), message))
        }
    }
    if finalizers.contains("orphan") && finalizers.contains("foregroundDeletion") {
        causes.append(.invalid(fieldPath, .array(finalizers.map { .string($0) }),
                               "finalizer orphan and foregroundDeletion cannot be both set"))
    }
    return causes
}

/// Each owner reference needs apiVersion, kind, name and uid, Events cannot own, and at most one
/// reference may be the controller (upstream's `ValidateOwnerReferences`; its causes carry no index).
public func validateOwnerReferences(_ value: JSONValue?, fieldPath: String) -> [APIError.Cause] {
    guard let value, !value.isNull else { return [] }
    guard let list = value.arrayValue else { return [.typeInvalid(fieldPath, value, "must be a list of objects")] }
    var causes: [APIError.Cause] = []
    var controller: String? = nil
    for reference in list {
        guard reference.objectValue != nil else {
            causes.append(.typeInvalid(fieldPath, reference, "must be an object"))
            continue
        }
        let apiVersion = reference["apiVersion"]?.stringValue ?? ""
        let kind = reference["kind"]?.stringValue ?? ""
        let name = reference["name"]?.stringValue ?? ""
        let uid = reference["uid"]?.stringValue ?? ""
        // "v1" or "group/v1"; more slashes do not parse upstream and leave the version empty.
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        let version = parts.count <= 2 ? String(parts.last ?? "") : ""
        if version.isEmpty {
            causes.append(.invalid(fieldPath + ".apiVersion", .string(apiVersion), "version must not be empty"))
        }
        if kind.isEmpty { causes.append(.invalid(fieldPath + ".kind", .string(kind), "must not be empty")) }
        if name.isEmpty { causes.append(.invalid(fieldPath + ".name", .string(name), "must not be empty")) }
        if uid.isEmpty { causes.append(.invalid(fieldPath + ".uid", .string(uid), "must not be empty")) }
        if apiVersion == "v1" && kind == "Event" {
            causes.append(.invalid(fieldPath, reference, "/v1, Kind=Event is disallowed from being an owner"))
        }
        if reference["controller"]?.boolValue == true {
            let current = kind + "/" + name
            if let first = controller {
                causes.append(.invalid(fieldPath, value,
                    "Only one reference can have Controller set to true. Found \"true\" in references for \(first) and \(current)"))
            } else {
                controller = current
            }
        }
    }
    return causes
}

/// Reads a map of strings, reporting a wrong type (nil when absent, null, or unusable).
private func stringMap(_ value: JSONValue?, field: String, causes: inout [APIError.Cause]) -> [String: String]? {
    guard let value, !value.isNull else { return nil }
    guard let object = value.objectValue else {
        causes.append(.typeInvalid(field, value, "must be a map of string keys to string values"))
        return nil
    }
    var result: [String: String] = [:]
    result.reserveCapacity(object.count)
    var ok = true
    for (key, element) in object {
        if let s = element.stringValue {
            result[key] = s
        } else if !element.isNull {
            // Go decodes a null map value as ""; anything else is refused.
            causes.append(.typeInvalid(field + "." + key, element, "must be a string"))
            ok = false
        } else {
            result[key] = ""
        }
    }
    return ok ? result : nil
}
