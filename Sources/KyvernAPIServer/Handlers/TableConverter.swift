import KyvernAPI

/// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as kubectl asks
/// for: each resource's upstream columns, one row per object, and the object itself as
/// `includeObject` says (kubectl's -A, --show-labels, -L and --sort-by read it).
enum TableConverter {
    /// What each row carries besides its cells.
    enum IncludeObject: String, Sendable {
        case none = "None"
        case metadata = "Metadata"
        case object = "Object"

        /// The `includeObject` query parameter; Metadata when absent, 400 when unknown.
        init(query value: String?) throws {
            guard let value, !value.isEmpty else { self = .metadata; return }
            guard let parsed = IncludeObject(rawValue: value) else {
                throw APIError.badRequest("unrecognized includeObject value: \"\(value)\"")
            }
            self = parsed
        }
    }

    /// A resource's columns and the printer that fills them.
    struct Layout: Sendable {
        var columns: [TableColumn]
        var printer: RowPrinter

        init(info: ResourceInfo) {
            let key = info.group.isEmpty ? "\(info.version)/\(info.resource)" : "\(info.group)/\(info.version)/\(info.resource)"
            if let columns = TableColumns.byResource[key],
               let printer = TablePrinters.printer(group: info.group, resource: info.resource) {
                self.columns = columns
                self.printer = printer
            } else {
                columns = DefaultTablePrinter.columns
                printer = DefaultTablePrinter.row
            }
        }

        var columnsJSON: JSONValue { .array(columns.map(\.json)) }
    }

    /// A Table of `objects`. `headers: false` sends `columnDefinitions: null`, as upstream does in
    /// every watch event after the first.
    static func table(for objects: some Collection<JSONValue>, info: ResourceInfo, revision: String,
                      continueToken: String? = nil, include: IncludeObject, headers: Bool = true,
                      context: PrintContext = .current()) -> JSONValue {
        let layout = Layout(info: info)
        var rows: [JSONValue] = []
        rows.reserveCapacity(objects.count)
        for object in objects {
            let printed = layout.printer(object, context)
            var row: [String: JSONValue] = ["cells": .array(printed.cells)]
            if let conditions = printed.conditions { row["conditions"] = conditions }
            switch include {
            case .none:
                row["object"] = .null
            case .metadata:
                row["object"] = .object([
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? [:],
                ])
            case .object:
                row["object"] = object
            }
            rows.append(.object(row))
        }
        var metadata: [String: JSONValue] = ["resourceVersion": .string(revision)]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": .object(metadata),
            "columnDefinitions": headers ? layout.columnsJSON : .null,
            "rows": .array(rows),
        ]
    }
}
