import KyvernAPI

/// One column of a server-side Table: what kubectl turns into a header (upper-cased) and, for
/// priority 1, shows only with `-o wide`. Descriptions are left empty, as the facts ship none.
struct TableColumn: Sendable, Hashable {
    var name: String
    var type: String
    var format: String
    var priority: Int

    var json: JSONValue {
        ["name": .string(name), "type": .string(type), "format": .string(format), "description": "",
         "priority": .int(Int64(priority))]
    }
}
