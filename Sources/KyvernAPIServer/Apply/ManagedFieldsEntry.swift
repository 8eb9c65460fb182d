import KyvernAPI

/// One entry of `metadata.managedFields`: the fields one manager owns through one kind of operation.
struct ManagedFieldsEntry: Equatable, Sendable {
    var manager: String
    /// `Apply` or `Update`.
    var operation: String
    var apiVersion: String
    var time: String?
    var subresource: String
    var fields: FieldSet

    /// What makes two entries the same manager (upstream's manager identifier): appliers are one
    /// manager whatever API version they applied through.
    struct Identity: Hashable, Sendable {
        var manager: String
        var operation: String
        var apiVersion: String
        var subresource: String

        /// How conflicts name the manager: `"kubectl" using apps/v1`, with the subresource if any.
        var printed: String {
            var text = goQuote(manager)
            if !subresource.isEmpty { text += " with subresource \(goQuote(subresource))" }
            if operation == "Update" { text += " using \(apiVersion)" }
            return text
        }
    }

    var identity: Identity {
        Identity(manager: manager, operation: operation, apiVersion: operation == "Apply" ? "" : apiVersion,
                 subresource: subresource)
    }

    var encoded: JSONValue {
        var object: [String: JSONValue] = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
            "fieldsType": "FieldsV1", "fieldsV1": FieldsV1.encode(fields),
        ]
        if let time { object["time"] = .string(time) }
        if !subresource.isEmpty { object["subresource"] = .string(subresource) }
        return .object(object)
    }

    init(manager: String, operation: String, apiVersion: String, time: String?, subresource: String, fields: FieldSet) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    /// Decodes an entry; nil for one upstream would refuse (unknown operation, no apiVersion,
    /// fields in another format).
    init?(decoding value: JSONValue) {
        guard let operation = value["operation"]?.stringValue, operation == "Apply" || operation == "Update",
              let apiVersion = value["apiVersion"]?.stringValue, !apiVersion.isEmpty,
              value["fieldsType"]?.stringValue == "FieldsV1",
              let fields = FieldsV1.decode(value["fieldsV1"] ?? .object([:])) else { return nil }
        // Times are stored as upstream writes them (UTC, seconds), whatever offset a client sent.
        let time = value["time"]?.stringValue.map { Timestamp.parse($0).map(Timestamp.format) ?? $0 }
        self.init(manager: value["manager"]?.stringValue ?? "", operation: operation, apiVersion: apiVersion,
                  time: time, subresource: value["subresource"]?.stringValue ?? "", fields: fields)
    }

    /// The entries of an object; nil when they cannot be decoded.
    static func entries(of object: JSONValue?) -> [ManagedFieldsEntry]? {
        guard let list = object?[path: ["metadata", "managedFields"]] else { return [] }
        guard case .array(let items) = list else { return nil }
        var result: [ManagedFieldsEntry] = []
        for item in items {
            guard let entry = ManagedFieldsEntry(decoding: item) else { return nil }
            result.append(entry)
        }
        return result
    }

    /// The wire list, in upstream's order: operation, time, manager, apiVersion, subresource.
    static func encode(_ entries: [ManagedFieldsEntry]) -> JSONValue {
        let sorted = entries.sorted { p, q in
            if p.operation != q.operation { return p.operation < q.operation }
            let pt = p.time ?? "", qt = q.time ?? ""
            if pt != qt { return pt < qt }
            if p.manager != q.manager { return p.manager < q.manager }
            if p.apiVersion != q.apiVersion { return p.apiVersion < q.apiVersion }
            return p.subresource < q.subresource
        }
        return .array(sorted.map(\.encoded))
    }
}
