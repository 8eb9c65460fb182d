import Foundation
import KyvernAPI

/// What every printer needs besides the object: the one "now" a whole table is printed at, so
/// 10,000 rows cost one clock read and all ages agree.
struct PrintContext: Sendable {
    /// Microseconds since 1970.
    var now: Int64

    static func current() -> PrintContext {
        PrintContext(now: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }

    /// Upstream's `translateTimestampSince`: the age of a timestamp, "<unknown>" when there is none.
    func since(_ timestamp: JSONValue?) -> String {
        guard let text = timestamp?.stringValue, let micros = Timestamp.parseMicroseconds(text) else {
            return "<unknown>"
        }
        return HumanDuration.format(microseconds: now - micros)
    }

    func age(_ object: JSONValue) -> String { since(object["metadata"]?["creationTimestamp"]) }
}

/// One printed row: its cells and the row conditions upstream attaches (a finished pod's "Completed").
struct PrintedRow: Sendable {
    var cells: [JSONValue]
    var conditions: JSONValue? = nil
}

/// Computes one row's cells, in the order of the resource's columns.
typealias RowPrinter = @Sendable (_ object: JSONValue, _ context: PrintContext) -> PrintedRow

/// Short reads of nested fields, with the zero values a Go printer sees for absent ones; all walk
/// the path with KyvernAPI's `[path:]`, they only spare printers the `?? ""` at every cell.
extension JSONValue {
    func at(_ keys: String...) -> JSONValue? { self[path: keys] }
    func text(_ keys: String...) -> String { self[path: keys]?.stringValue ?? "" }
    func number(_ keys: String...) -> Int64 { self[path: keys]?.intValue ?? 0 }
    func list(_ keys: String...) -> [JSONValue] { self[path: keys]?.arrayValue ?? [] }

    func count(_ keys: String...) -> Int {
        switch self[path: keys] {
        case .array(let a)?: return a.count
        case .object(let o)?: return o.count
        default: return 0
        }
    }

    /// The object's name, "" when it has none.
    var printedName: String { text("metadata", "name") }
    var isDeleting: Bool { self["metadata"]?["deletionTimestamp"].map { !$0.isNull } ?? false }
}
