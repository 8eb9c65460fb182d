import KyvernAPI

/// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as kubectl asks
/// for: each resource's upstream columns, one row per object, and the object itself as
/// `includeObject` says (kubectl's -A, --show-labels, -L and --sort-by read it).
///
/// Rows are written straight to bytes: a row's object (or its metadata) is copied from the
/// cached serialization, so a 10,000-row table costs little more than its cells.
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
        /// Upstream lists FlowSchemas in the order they match requests, not by name.
        var byMatchingPrecedence = false

        init(columns: [TableColumn], printer: @escaping RowPrinter) {
            self.columns = columns
            self.printer = printer
        }

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
            byMatchingPrecedence = info.group == "flowcontrol.apiserver.k8s.io" && info.resource == "flowschemas"
        }
    }

    /// A Table of `objects` as JSON bytes. `headers: false` sends `columnDefinitions: null`, as
    /// upstream does in every watch event after the first.
    static func table(for objects: some Collection<CachedObject>, info: ResourceInfo, revision: String,
                      continueToken: String? = nil, include: IncludeObject, headers: Bool = true,
                      context: PrintContext = .current(), layout: Layout? = nil) -> [UInt8] {
        var out: [UInt8] = []
        write(objects, info: info, revision: revision, continueToken: continueToken, include: include,
              headers: headers, context: context, layout: layout, into: &out)
        return out
    }

    /// Appends the Table to `out` (a watch event's object, or a whole response body).
    static func write(_ objects: some Collection<CachedObject>, info: ResourceInfo, revision: String,
                      continueToken: String? = nil, include: IncludeObject, headers: Bool = true,
                      context: PrintContext = .current(), layout: Layout? = nil, into out: inout [UInt8]) {
        let layout = layout ?? Layout(info: info)
        out.reserveCapacity(out.count + 256 + objects.count * (include == .none ? 64 : 512))
        out.append(contentsOf: #"{"apiVersion":"meta.k8s.io/v1","kind":"Table","metadata":"#.utf8)
        var metadata: JSONValue = ["resourceVersion": .string(revision)]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        metadata.serialize(into: &out)
        out.append(contentsOf: #","columnDefinitions":"#.utf8)
        if headers {
            JSONValue.array(layout.columns.map(\.json)).serialize(into: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: #","rows":["#.utf8)
        var first = true
        func writeRow(_ object: CachedObject) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            let printed = layout.printer(object.object, context)
            out.append(contentsOf: #"{"cells":"#.utf8)
            JSONValue.array(printed.cells).serialize(into: &out)
            if let conditions = printed.conditions {
                out.append(contentsOf: #","conditions":"#.utf8)
                conditions.serialize(into: &out)
            }
            out.append(contentsOf: #","object":"#.utf8)
            switch include {
            case .none:
                out.append(contentsOf: "null".utf8)
            case .metadata:
                out.append(contentsOf: #"{"apiVersion":"meta.k8s.io/v1","kind":"PartialObjectMetadata","metadata":"#.utf8)
                if let range = SerializedJSON.memberRange("metadata", in: object.bytes) {
                    out.append(contentsOf: object.bytes[range])
                } else {
                    (object.object["metadata"] ?? [:]).serialize(into: &out)
                }
                out.append(UInt8(ascii: "}"))
            case .object:
                out.append(contentsOf: object.bytes)
            }
            out.append(UInt8(ascii: "}"))
        }
        if layout.byMatchingPrecedence {
            let ordered = objects.sorted {
                let (a, b) = ($0.object.number("spec", "matchingPrecedence"), $1.object.number("spec", "matchingPrecedence"))
                return a != b ? a < b : $0.object.printedName < $1.object.printedName
            }
            for object in ordered { writeRow(object) }
        } else {
            for object in objects { writeRow(object) }
        }
        out.append(contentsOf: "]}".utf8)
    }
}
