import KyvernAPI

/// One served version of a custom resource, read from its CustomResourceDefinition: what routing,
/// discovery, printing, OpenAPI and the write path need to treat it like a built-in resource.
struct CustomResourceVersion: Sendable {
    /// The resource as the catalog describes built-in ones (names from `status.acceptedNames`).
    var info: ResourceInfo
    /// The CRD's `metadata.name` (`<plural>.<group>`).
    var definitionName: String
    /// `schema.openAPIV3Schema`, nil when the version has none.
    var schema: JSONValue?
    var printerColumns: [CustomResourcePrinterColumn]
    /// The `scale` subresource's paths, when it is enabled.
    var scale: CustomResourceScalePaths?
    /// The version objects are stored in (every write is stored as it).
    var storageVersion: String
    /// The `Warning` a request to a deprecated version gets, nil when it is not deprecated.
    var deprecationWarning: String?
    /// True while the CRD is being deleted: reads and deletes are served, creates refused.
    var terminating: Bool
    /// `selectableFields` JSON paths, usable in field selectors beside `metadata.name`/`metadata.namespace`.
    var selectableFields: [String]
    /// `spec.conversion.webhook.clientConfig` when the definition converts through a webhook.
    var conversionWebhook: JSONValue? = nil
    /// The structural schema, parsed once per definition change.
    var structural: CustomResourceSchema? = nil
    /// The schema's `x-kubernetes-validations`, compiled once per definition change.
    var rules: CustomResourceRules? = nil
    /// The schema in the shape server-side apply reads, converted once per definition change.
    var applyType: JSONValue = CustomResourceApplyType.root(nil)

    var hasStatusSubresource: Bool { info.subresource("status") != nil }

    /// Drops unknown fields and fills in defaults; returns the unknown fields' paths.
    func prune(_ object: inout JSONValue) -> [String] {
        guard let structural else { return [] }
        let unknown = structural.prune(&object)
        structural.applyDefaults(&object)
        return unknown
    }

    /// The schema's causes against `object` (422 when not empty).
    func validate(_ object: JSONValue, old: JSONValue?) -> [APIError.Cause] {
        let causes = structural?.validate(object, old: old) ?? []
        // Rules run on values the schema accepts, as upstream runs them after the OpenAPI checks.
        guard causes.isEmpty, let rules else { return causes }
        return rules.validate(object, old: old)
    }
}

/// One `additionalPrinterColumns` entry (or the default Age column when a version lists none).
struct CustomResourcePrinterColumn: Sendable, Hashable {
    var name: String
    var type: String
    var format: String
    var description: String
    var priority: Int
    var jsonPath: String
}

/// Where a custom resource keeps what the `scale` subresource reads and writes.
struct CustomResourceScalePaths: Sendable, Hashable {
    /// e.g. `.spec.replicas`.
    var specReplicasPath: String
    /// e.g. `.status.replicas`.
    var statusReplicasPath: String
    /// e.g. `.status.selector`: a label selector in string form, for the HorizontalPodAutoscaler.
    var labelSelectorPath: String?
}

extension CustomResourceVersion {
    /// The versions a CRD serves, once its names are accepted (`Established`). Names come from
    /// `status.acceptedNames`, as upstream serves them, so a conflicting rename is not served.
    static func servedVersions(of crd: JSONValue) -> [CustomResourceVersion] {
        guard isEstablished(crd), let spec = crd["spec"], let group = spec["group"]?.stringValue,
              let accepted = crd[path: ["status", "acceptedNames"]],
              let plural = accepted["plural"]?.stringValue, !plural.isEmpty,
              let kind = accepted["kind"]?.stringValue, !kind.isEmpty else { return [] }
        let singular = accepted["singular"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? kind.lowercased()
        let listKind = accepted["listKind"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "\(kind)List"
        let shortNames = (accepted["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue)
        let categories = (accepted["categories"]?.arrayValue ?? []).compactMap(\.stringValue)
        let namespaced = spec["scope"]?.stringValue != "Cluster"
        let versions = spec["versions"]?.arrayValue ?? []
        let storage = versions.first { $0["storage"]?.boolValue == true }?["name"]?.stringValue ?? ""
        let terminating = crd[path: ["metadata", "deletionTimestamp"]].map { $0 != .null } ?? false
        let name = crd[path: ["metadata", "name"]]?.stringValue ?? "\(plural).\(group)"
        let webhook = spec[path: ["conversion", "strategy"]]?.stringValue == "Webhook"
            ? spec[path: ["conversion", "webhook", "clientConfig"]] : nil
        var served: [CustomResourceVersion] = []
        for version in versions where version["served"]?.boolValue == true {
            guard let versionName = version["name"]?.stringValue else { continue }
            var subresources: [SubresourceInfo] = []
            if version[path: ["subresources", "status"]] != nil {
                subresources.append(SubresourceInfo(name: "status", kind: kind, group: group, version: versionName,
                                                    verbs: ["get", "patch", "update"]))
            }
            var scale: CustomResourceScalePaths?
            if let scaleSpec = version[path: ["subresources", "scale"]], case .object = scaleSpec {
                subresources.append(SubresourceInfo(name: "scale", kind: "Scale", group: "autoscaling", version: "v1",
                                                    verbs: ["get", "patch", "update"]))
                scale = CustomResourceScalePaths(
                    specReplicasPath: scaleSpec["specReplicasPath"]?.stringValue ?? ".spec.replicas",
                    statusReplicasPath: scaleSpec["statusReplicasPath"]?.stringValue ?? ".status.replicas",
                    labelSelectorPath: scaleSpec["labelSelectorPath"]?.stringValue)
            }
            let schema = version[path: ["schema", "openAPIV3Schema"]]
            let properties = schema?["properties"]?.objectValue
            let info = ResourceInfo(
                group: group, version: versionName, resource: plural, singularName: singular, kind: kind,
                listKind: listKind, namespaced: namespaced,
                verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                shortNames: shortNames, categories: categories, subresources: subresources,
                definition: "", hasSpec: properties?["spec"] != nil || properties == nil,
                hasStatus: properties?["status"] != nil || properties == nil)
            var warning: String?
            if version["deprecated"]?.boolValue == true {
                warning = version["deprecationWarning"]?.stringValue ?? "\(group)/\(versionName) \(kind) is deprecated"
            }
            served.append(CustomResourceVersion(
                info: info, definitionName: name, schema: schema,
                printerColumns: printerColumns(version["additionalPrinterColumns"]?.arrayValue ?? []),
                scale: scale, storageVersion: storage, deprecationWarning: warning, terminating: terminating,
                selectableFields: (version["selectableFields"]?.arrayValue ?? []).compactMap { $0["jsonPath"]?.stringValue },
                conversionWebhook: webhook, structural: schema.map { CustomResourceSchema(openAPIV3Schema: $0) },
                rules: schema.flatMap { try? CustomResourceRules.compile(openAPIV3Schema: $0, fieldPrefix: "").get() },
                applyType: CustomResourceApplyType.root(schema)))
        }
        return served
    }

    /// Upstream shows an Age column when a version declares no columns of its own.
    static func printerColumns(_ declared: [JSONValue]) -> [CustomResourcePrinterColumn] {
        guard !declared.isEmpty else {
            return [CustomResourcePrinterColumn(name: "Age", type: "date", format: "", description: "",
                                                priority: 0, jsonPath: ".metadata.creationTimestamp")]
        }
        return declared.compactMap { column in
            guard let name = column["name"]?.stringValue, let jsonPath = column["jsonPath"]?.stringValue else { return nil }
            return CustomResourcePrinterColumn(
                name: name, type: column["type"]?.stringValue ?? "string", format: column["format"]?.stringValue ?? "",
                description: column["description"]?.stringValue ?? "",
                priority: Int(column["priority"]?.intValue ?? 0), jsonPath: jsonPath)
        }
    }

    /// A CRD is served once its `Established` condition is True.
    static func isEstablished(_ crd: JSONValue) -> Bool {
        condition("Established", of: crd)?["status"]?.stringValue == "True"
    }

    static func condition(_ type: String, of crd: JSONValue) -> JSONValue? {
        (crd[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }
    }
}
