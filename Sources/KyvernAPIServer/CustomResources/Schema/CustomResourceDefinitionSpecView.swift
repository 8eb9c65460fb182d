import KyvernAPI

/// A CRD's spec as upstream validates it: in its internal form, where a schema, subresources or
/// printer columns that every version shares are lifted out of `spec.versions` to the top level.
///
/// That conversion is why upstream reports a single-version CRD's schema problems under
/// `spec.validation.openAPIV3Schema` and its columns under `spec.additionalPrinterColumns`.
struct CustomResourceDefinitionSpecView {
    struct Version {
        var name: String
        var served: Bool
        var storage: Bool
        var deprecated: Bool
        var deprecationWarning: JSONValue?
        /// The version's `schema` (`{openAPIV3Schema: ...}`) unless lifted to the top level.
        var schema: JSONValue?
        var subresources: JSONValue?
        var columns: [JSONValue]
        var selectableFields: [JSONValue]
    }

    var group: String
    var scope: String
    var names: JSONValue
    var versions: [Version]
    /// The shared `schema` (`{openAPIV3Schema: ...}`), reported as `spec.validation`.
    var validation: JSONValue?
    var subresources: JSONValue?
    var columns: [JSONValue]
    var selectableFields: [JSONValue]
    var conversion: JSONValue?
    /// v1's plain bool, false when absent (upstream's internal form holds it as set).
    var preserveUnknownFields: Bool

    init(_ spec: JSONValue) {
        group = spec["group"]?.stringValue ?? ""
        scope = spec["scope"]?.stringValue ?? ""
        names = spec["names"] ?? .object([:])
        conversion = spec["conversion"].flatMap { $0.isNull ? nil : $0 }
        preserveUnknownFields = spec["preserveUnknownFields"]?.boolValue ?? false
        versions = (spec["versions"]?.arrayValue ?? []).map { v in
            Version(
                name: v["name"]?.stringValue ?? "",
                served: v["served"]?.boolValue ?? false,
                storage: v["storage"]?.boolValue ?? false,
                deprecated: v["deprecated"]?.boolValue ?? false,
                deprecationWarning: v["deprecationWarning"].flatMap { $0.isNull ? nil : $0 },
                schema: v["schema"].flatMap { $0.isNull ? nil : $0 },
                subresources: v["subresources"].flatMap { $0.isNull ? nil : $0 },
                columns: v["additionalPrinterColumns"]?.arrayValue ?? [],
                selectableFields: v["selectableFields"]?.arrayValue ?? [])
        }
        validation = nil
        subresources = nil
        columns = []
        selectableFields = []
        guard let first = versions.first else { return }
        if let schema = first.schema, versions.allSatisfy({ $0.schema == schema }) {
            validation = schema
            for i in versions.indices { versions[i].schema = nil }
        }
        if let sub = first.subresources, versions.allSatisfy({ $0.subresources == sub }) {
            subresources = sub
            for i in versions.indices { versions[i].subresources = nil }
        }
        if !first.columns.isEmpty, versions.allSatisfy({ $0.columns == first.columns }) {
            columns = first.columns
            for i in versions.indices { versions[i].columns = [] }
        }
        if !first.selectableFields.isEmpty, versions.allSatisfy({ $0.selectableFields == first.selectableFields }) {
            selectableFields = first.selectableFields
            for i in versions.indices { versions[i].selectableFields = [] }
        }
    }

    /// The openAPIV3Schema that applies to a version (its own or the shared one).
    func openAPIV3Schema(forVersionAt index: Int) -> JSONValue? {
        (versions[index].schema ?? validation)?["openAPIV3Schema"].flatMap { $0.isNull ? nil : $0 }
    }

    /// The subresources that apply to a version.
    func subresources(forVersionAt index: Int) -> JSONValue? {
        versions.contains(where: { $0.subresources != nil }) ? versions[index].subresources : subresources
    }

    var hasAnyStatus: Bool {
        if subresources?["status"] != nil { return true }
        return versions.contains { $0.subresources?["status"] != nil }
    }
}
