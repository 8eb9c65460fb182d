import KyvernAPI

/// A short listing of what differs between two JSON values, appended to "may not change" messages
/// so that users see which field they touched (upstream appends a Go struct diff there).
enum JSONDiff {
    static func lines(old: JSONValue, new: JSONValue) -> String {
        var out: [String] = []
        collect(old, new, path: "", into: &out)
        return out.joined(separator: "\n")
    }

    private static func collect(_ old: JSONValue?, _ new: JSONValue?, path: String, into out: inout [String]) {
        guard old != new else { return }
        if case .object(let a)? = old, case .object(let b)? = new {
            for key in Set(a.keys).union(b.keys).sorted() {
                collect(a[key], b[key], path: path.isEmpty ? key : "\(path).\(key)", into: &out)
            }
            return
        }
        if case .array(let a)? = old, case .array(let b)? = new, a.count == b.count {
            for i in a.indices { collect(a[i], b[i], path: "\(path)[\(i)]", into: &out) }
            return
        }
        if let old { out.append("- \(path): \(old.jsonString)") }
        if let new { out.append("+ \(path): \(new.jsonString)") }
    }
}
