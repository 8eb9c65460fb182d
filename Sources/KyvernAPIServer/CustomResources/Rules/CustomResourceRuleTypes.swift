import KyvernAPI
import KyvernCEL

/// The CEL view of a structural schema, as upstream declares it: integer→int, number→double,
/// int-or-string and untyped preserve-unknown→dyn, properties→object, additionalProperties→map,
/// string formats byte/duration/date/date-time→bytes/duration/timestamp, embedded resources keep
/// apiVersion/kind/metadata; property names that are not CEL identifiers are escaped.
enum CustomResourceRuleTypes {
    static func type(of schema: JSONValue, name: String, root: Bool = false) -> CELType {
        if schema["x-kubernetes-int-or-string"]?.boolValue == true { return .dyn }
        let type = schema["type"]?.stringValue ?? ""
        switch type {
        case "integer": return .int
        case "number": return .double
        case "boolean": return .bool
        case "string":
            switch schema["format"]?.stringValue {
            case "byte": return .bytes
            case "duration": return .duration
            case "date", "date-time": return .timestamp
            default: return .string
            }
        case "array":
            guard let items = schema["items"] else { return .list(.dyn) }
            return .list(self.type(of: items, name: name + ".@idx"))
        case "object":
            let props = schema["properties"]?.objectValue ?? [:]
            let embedded = schema["x-kubernetes-embedded-resource"]?.boolValue == true
            if props.isEmpty, !embedded, !root {
                if let add = schema["additionalProperties"], add.objectValue != nil {
                    return .map(.string, self.type(of: add, name: name + ".@elem"))
                }
                if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true { return .dyn }
                if schema["additionalProperties"]?.boolValue == true { return .map(.string, .dyn) }
            }
            var fields: [String: CELType] = [:]
            for (k, v) in props {
                guard let escaped = escape(k) else { continue }
                fields[escaped] = self.type(of: v, name: name + "." + k)
            }
            if embedded || root {
                fields["apiVersion"] = fields["apiVersion"] ?? .string
                fields["kind"] = fields["kind"] ?? .string
                fields["metadata"] = .object(CELObjectType(name: name + ".metadata", fields: ["name": .string, "generateName": .string]))
            }
            return .object(CELObjectType(name: name, fields: fields))
        default:
            return .dyn
        }
    }

    static let celReserved: Set<String> = [
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if",
        "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
    ]

    /// Upstream's property-name escaping (`__dash__`, `__dot__`, `__slash__`, `__underscores__`,
    /// `__{keyword}__`); nil for names CEL cannot reach.
    static func escape(_ name: String) -> String? {
        if celReserved.contains(name) { return "__\(name)__" }
        var out = ""
        var chars = Array(name)[...]
        while let c = chars.first {
            if c == "_", chars.dropFirst().first == "_" { out += "__underscores__"; chars = chars.dropFirst(2); continue }
            chars = chars.dropFirst()
            switch c {
            case ".": out += "__dot__"
            case "-": out += "__dash__"
            case "/": out += "__slash__"
            default:
                guard c.isASCII, c.isLetter || c.isNumber || c == "_" else { return nil }
                out.append(c)
            }
        }
        guard let f = out.first, f.isLetter || f == "_" else { return nil }
        return out
    }

    /// The object's value for CEL, shaped by its schema (escaped keys, numbers as double, formats parsed).
    static func value(_ json: JSONValue, _ schema: JSONValue?) -> CELValue {
        guard let schema else { return CELValue(json: json) }
        if schema["x-kubernetes-int-or-string"]?.boolValue == true { return CELValue(json: json) }
        switch (schema["type"]?.stringValue ?? "", json) {
        case ("number", .int(let i)): return .double(Double(i))
        case ("string", .string(let s)):
            switch schema["format"]?.stringValue {
            case "byte": return .bytes(base64Decode(s) ?? Array(s.utf8))
            case "duration":
                if case .success(let p) = durationProgram, case .success(let d) = p.evaluate(["s": .string(s)]).value { return d }
                return .string(s)
            case "date", "date-time":
                let text = s.count == 10 ? s + "T00:00:00Z" : s
                if case .success(let p) = timestampProgram, case .success(let t) = p.evaluate(["s": .string(text)]).value { return t }
                return .string(s)
            default: return .string(s)
            }
        case ("array", .array(let a)):
            let items = schema["items"]
            return .list(a.map { value($0, items) })
        case ("object", .object(let o)):
            let props = schema["properties"]?.objectValue ?? [:]
            let add = schema["additionalProperties"]
            if props.isEmpty, let add, add.objectValue != nil {
                return .map(CELMap(stringKeyed: o.keys.sorted().map { ($0, value(o[$0]!, add)) }))
            }
            var pairs: [(String, CELValue)] = []
            for k in o.keys.sorted() {
                if let p = props[k] {
                    guard let e = escape(k) else { continue }
                    pairs.append((e, value(o[k]!, p)))
                } else if k == "metadata", let meta = o[k]?.objectValue {
                    pairs.append((k, .map(CELMap(stringKeyed: ["name", "generateName"].compactMap { n in meta[n].map { (n, CELValue(json: $0)) } }))))
                } else {
                    pairs.append((k, CELValue(json: o[k]!)))
                }
            }
            return .map(CELMap(stringKeyed: pairs))
        default:
            return CELValue(json: json)
        }
    }

    private static let durationProgram = CELEnvironment(variables: ["s": .string]).compile("duration(s)")
    private static let timestampProgram = CELEnvironment(variables: ["s": .string]).compile("timestamp(s)")

    static func base64Decode(_ s: String) -> [UInt8]? {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var rev = [UInt8: UInt32]()
        for (i, c) in table.enumerated() { rev[c] = UInt32(i) }
        var out: [UInt8] = [], acc: UInt32 = 0, bits = 0
        for c in s.utf8 where c != 61 {
            guard let v = rev[c] else { return nil }
            acc = acc << 6 | v; bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> UInt32(bits)) & 0xff)) }
        }
        return out
    }
}
