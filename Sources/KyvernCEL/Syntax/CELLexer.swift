/// Splits CEL source into tokens, decoding literals (escapes, raw and triple-quoted strings, bytes).
struct CELLexer {
    private let s: [Unicode.Scalar]
    private var i = 0

    init(_ source: String) { s = Array(source.unicodeScalars) }

    mutating func tokenize() throws(CELSyntaxError) -> [CELLexeme] {
        var out: [CELLexeme] = []
        while true {
            skipSpaceAndComments()
            let start = i
            guard i < s.count else { out.append(CELLexeme(token: .eof, offset: i)); return out }
            let c = s[i]
            if isDigit(c) || (c == "." && i + 1 < s.count && isDigit(s[i + 1])) {
                out.append(CELLexeme(token: try number(), offset: start))
                continue
            }
            if isIdentStart(c) {
                // String prefixes r/R (raw) and b/B (bytes), in either order.
                var j = i, raw = false, bytes = false
                while j < s.count, j - i < 2 {
                    let p = s[j]
                    if (p == "r" || p == "R") && !raw { raw = true; j += 1 }
                    else if (p == "b" || p == "B") && !bytes { bytes = true; j += 1 }
                    else { break }
                }
                if j > i, j < s.count, s[j] == "\"" || s[j] == "'" {
                    i = j
                    out.append(CELLexeme(token: try quoted(raw: raw, bytes: bytes, start: start), offset: start))
                    continue
                }
                var name = ""
                while i < s.count, isIdentPart(s[i]) { name.unicodeScalars.append(s[i]); i += 1 }
                out.append(CELLexeme(token: .ident(name), offset: start))
                continue
            }
            if c == "\"" || c == "'" {
                out.append(CELLexeme(token: try quoted(raw: false, bytes: false, start: start), offset: start))
                continue
            }
            let two = ["==", "!=", "<=", ">=", "&&", "||"]
            if i + 1 < s.count {
                let pair = String(String.UnicodeScalarView([s[i], s[i + 1]]))
                if two.contains(pair) {
                    i += 2
                    out.append(CELLexeme(token: .punct(pair), offset: start))
                    continue
                }
            }
            if "+-*/%!<>?:.,()[]{}".unicodeScalars.contains(c) {
                i += 1
                out.append(CELLexeme(token: .punct(String(Character(c))), offset: start))
                continue
            }
            throw CELSyntaxError(message: "token recognition error at: '\(Character(c))'", offset: start)
        }
    }

    private mutating func skipSpaceAndComments() {
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" { i += 1; continue }
            if c == "/", i + 1 < s.count, s[i + 1] == "/" {
                while i < s.count, s[i] != "\n" { i += 1 }
                continue
            }
            return
        }
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private func isHex(_ c: Unicode.Scalar) -> Bool { isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F") }
    private func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
    private func isIdentPart(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) }

    private mutating func number() throws(CELSyntaxError) -> CELToken {
        let start = i
        var text = ""
        if s[i] == "0", i + 1 < s.count, s[i + 1] == "x" || s[i + 1] == "X" {
            i += 2
            text = "0x"
            while i < s.count, isHex(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
            if text == "0x" { throw CELSyntaxError(message: "invalid hex literal", offset: start) }
            if i < s.count, s[i] == "u" || s[i] == "U" { i += 1; return .uint(text) }
            return .int(text)
        }
        var isDouble = false
        while i < s.count, isDigit(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
        if i + 1 < s.count, s[i] == ".", isDigit(s[i + 1]) {
            isDouble = true
            text.append(".")
            i += 1
            while i < s.count, isDigit(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            var j = i + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, isDigit(s[j]) {
                isDouble = true
                while i < j { text.unicodeScalars.append(s[i]); i += 1 }
                while i < s.count, isDigit(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
            }
        }
        if isDouble { return .double(text) }
        if i < s.count, s[i] == "u" || s[i] == "U" { i += 1; return .uint(text) }
        return .int(text)
    }

    private mutating func quoted(raw: Bool, bytes: Bool, start: Int) throws(CELSyntaxError) -> CELToken {
        let q = s[i]
        let triple = i + 2 < s.count && s[i + 1] == q && s[i + 2] == q
        i += triple ? 3 : 1
        var out: [UInt8] = []
        var text = String.UnicodeScalarView()
        func put(_ c: Unicode.Scalar) {
            if bytes { out.append(contentsOf: Array(String(Character(c)).utf8)) } else { text.append(c) }
        }
        while true {
            guard i < s.count else { throw CELSyntaxError(message: "token recognition error at: '\(String(String.UnicodeScalarView(s[start..<s.count])))'", offset: start) }
            let c = s[i]
            if triple {
                if c == q, i + 2 < s.count, s[i + 1] == q, s[i + 2] == q { i += 3; break }
            } else {
                if c == q { i += 1; break }
                if c == "\n" || c == "\r" { throw CELSyntaxError(message: "token recognition error at: '\(String(String.UnicodeScalarView(s[start..<i])))'", offset: start) }
            }
            if c == "\\" && !raw {
                i += 1
                guard i < s.count else { continue }
                let e = s[i]
                i += 1
                switch e {
                case "a": put("\u{07}")
                case "b": put("\u{08}")
                case "f": put("\u{0C}")
                case "n": put("\n")
                case "r": put("\r")
                case "t": put("\t")
                case "v": put("\u{0B}")
                case "\\", "'", "\"", "`", "?": put(e)
                case "x", "X", "u", "U":
                    let n = e == "x" || e == "X" ? 2 : (e == "u" ? 4 : 8)
                    guard i + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<i + n])), radix: 16) else {
                        throw CELSyntaxError(message: "invalid escape sequence", offset: i)
                    }
                    i += n
                    if bytes && n == 2 { out.append(UInt8(v)) }
                    else {
                        guard let u = Unicode.Scalar(v) else { throw CELSyntaxError(message: "invalid unicode code point", offset: i) }
                        put(u)
                    }
                case "0"..."3":
                    guard i + 2 <= s.count, let v = UInt32(String(String.UnicodeScalarView([e, s[i], s[i + 1]])), radix: 8) else {
                        throw CELSyntaxError(message: "invalid escape sequence", offset: i)
                    }
                    i += 2
                    if bytes { out.append(UInt8(v)) } else { put(Unicode.Scalar(v)!) }
                default:
                    throw CELSyntaxError(message: "invalid escape sequence", offset: i - 2)
                }
                continue
            }
            put(c)
            i += 1
        }
        return bytes ? .bytes(out) : .string(String(text))
    }
}
