import KyvernAPI

/// Server-side printing of custom resources: Name, then the version's `additionalPrinterColumns`
/// (or Age), each cell typed as upstream's table convertor types it.
enum CustomResourceTable {
    static func layout(_ version: CustomResourceVersion) -> TableConverter.Layout {
        let columns = version.printerColumns
        let paths = columns.map { try? PrinterColumnPath($0.jsonPath) }
        let definitions = [TableColumn(name: "Name", type: "string", format: "name", priority: 0)]
            + columns.map { TableColumn(name: $0.name, type: $0.type, format: $0.format, priority: $0.priority) }
        return TableConverter.Layout(columns: definitions) { object, context in
            var cells: [JSONValue] = [.string(object[path: ["metadata", "name"]]?.stringValue ?? "")]
            for (column, path) in zip(columns, paths) {
                guard let value = path?.values(in: object).first else {
                    cells.append(.null)
                    continue
                }
                cells.append(cell(type: column.type, value: value, context: context))
            }
            return PrintedRow(cells: cells)
        }
    }

    /// One cell: integers, numbers and booleans as JSON of that type, strings as printed, dates as
    /// an age; a value of another type than the column's is left empty.
    static func cell(type: String, value: JSONValue, context: PrintContext) -> JSONValue {
        switch (type, value) {
        case (_, .null): return .null
        case ("integer", .int): return value
        case ("integer", .double(let d)): return .int(Int64(d))
        case ("number", .int(let i)): return .double(Double(i))
        case ("number", .double): return value
        case ("boolean", .bool): return value
        case ("date", .string(let text)):
            guard Timestamp.parseMicroseconds(text) != nil else { return "<invalid>" }
            return .string(context.since(value))
        case ("string", .string): return value
        case ("string", .int(let i)): return .string(String(i))
        case ("string", .double): return .string(String(value.serialized().map { Character(UnicodeScalar($0)) }))
        case ("string", .bool(let b)): return .string(b ? "true" : "false")
        case ("string", _): return .string(String(decoding: value.serialized(), as: UTF8.self))
        default: return .null
        }
    }
}
