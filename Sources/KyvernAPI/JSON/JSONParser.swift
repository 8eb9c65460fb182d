/// Why a request body is not JSON, worded as Go's `encoding/json` words it.
///
/// Clients (kubectl, client-go, the Python client) show this text to users, so it matches upstream's
/// where practical: "invalid character 'x' looking for beginning of value", "unexpected end of JSON input".
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// The byte offset in the input at which the problem was found.
    public var offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { message }
}

extension JSONValue {
    /// Nesting deeper than this is refused, so a hostile body cannot exhaust the stack.
    public static let maxParseDepth = 1000

    /// Parses an RFC 8259 document. Integers that fit `Int64` become `.int`, other numbers `.double`;
    /// duplicate object keys keep the last value (as Go does).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw) }
        }.get()
    }

    /// Parses UTF-8 text (tests and small literals; request bodies arrive as bytes).
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses bytes in place: the fast path every request body takes.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            throw JSONParseError(message: "unexpected end of JSON input", offset: 0)
        }
        var parser = JSONByteParser(base: base.assumingMemoryBound(to: UInt8.self), count: buffer.count)
        return try parser.parseDocument()
    }

    /// Parses like ``parse(_:)-swift.type.method`` and also names the keys that appeared twice in
    /// one object, for `fieldValidation=Strict`.
    public static func parseReportingDuplicates(_ bytes: [UInt8]) throws(JSONParseError) -> (value: JSONValue, duplicateKeys: [String]) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> (value: JSONValue, duplicateKeys: [String]) in
                guard let base = buffer.baseAddress, buffer.count > 0 else {
                    throw JSONParseError(message: "unexpected end of JSON input", offset: 0)
                }
                var parser = JSONByteParser(base: base.assumingMemoryBound(to: UInt8.self), count: buffer.count)
                let value = try parser.parseDocument()
                return (value, parser.duplicateKeys)
            }
        }.get()
    }
}

// MARK: - Parser

/// A byte-level recursive-descent parser. Members and elements are gathered on two reusable stacks
/// so each object's dictionary and each array is allocated once, at its exact size.
private struct JSONByteParser: ~Copyable {
    let base: UnsafePointer<UInt8>
    let end: Int
    var pos = 0
    var depth = 0
    var members = UnsafeStack<(String, JSONValue)>()
    var elements = UnsafeStack<JSONValue>()
    /// Keys seen twice in one object (strict decoding refuses them).
    var duplicateKeys: [String] = []
    var scratch: [UInt8] = []

    init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.end = count
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if pos < end {
            throw invalid(base[pos], "after top-level value")
        }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let c = base[pos]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            pos += 1
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard pos < end else { throw eof() }
        switch base[pos] {
        case UInt8(ascii: "\""):
            pos += 1
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case let c:
            throw invalid(c, "looking for beginning of value")
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONValue.maxParseDepth {
            throw JSONParseError(message: "exceeded max depth", offset: pos)
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1  // {
        let start = members.count
        skipWhitespace()
        guard pos < end else { throw eof() }
        if base[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object([:])
        }
        while true {
            guard pos < end else { throw eof() }
            guard base[pos] == UInt8(ascii: "\"") else {
                throw invalid(base[pos], "looking for beginning of object key string")
            }
            pos += 1
            let key = try parseString()
            skipWhitespace()
            guard pos < end else { throw eof() }
            guard base[pos] == UInt8(ascii: ":") else { throw invalid(base[pos], "after object key") }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            members.push((key, value))
            skipWhitespace()
            guard pos < end else { throw eof() }
            let c = base[pos]
            pos += 1
            if c == UInt8(ascii: ",") {
                skipWhitespace()
                continue
            }
            if c == UInt8(ascii: "}") { break }
            pos -= 1
            throw invalid(c, "after object key:value pair")
        }
        depth -= 1
        let n = members.count - start
        var object = [String: JSONValue](minimumCapacity: n)
        members.popAll(from: start) { key, value in
            if object.updateValue(value, forKey: key) != nil { duplicateKeys.append(key) }
        }
        return .object(object)
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1  // [
        let start = elements.count
        skipWhitespace()
        guard pos < end else { throw eof() }
        if base[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array([])
        }
        while true {
            let value = try parseValue()
            elements.push(value)
            skipWhitespace()
            guard pos < end else { throw eof() }
            let c = base[pos]
            pos += 1
            if c == UInt8(ascii: ",") {
                skipWhitespace()
                continue
            }
            if c == UInt8(ascii: "]") { break }
            pos -= 1
            throw invalid(c, "after array element")
        }
        depth -= 1
        return .array(elements.popArray(from: start))
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        pos += 1  // first letter already matched
        for i in 1..<bytes.count {
            guard pos < end else { throw eof() }
            let c = base[pos]
            guard c == bytes[i] else {
                throw invalid(c, "in literal \(literal) (expecting \(quoteChar(bytes[i])))")
            }
            pos += 1
        }
    }

    // MARK: strings

    /// Parses after the opening quote, up to and including the closing one.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = pos
        var i = pos
        // Eight bytes at a time while none is a quote, a backslash or a control character.
        while i + 8 <= end {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if swarHasByte(word, 0x22) | swarHasByte(word, 0x5C) | swarHasLess(word, 0x20) != 0 { break }
            i += 8
        }
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                pos = i + 1
                return String(decoding: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { break }
            i += 1
        }
        pos = i
        return try parseEscapedString(from: start)
    }

    mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: pos - start))
        while pos < end {
            let c = base[pos]
            switch c {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                pos += 1
                guard pos < end else { throw eof() }
                let e = base[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xE000).contains(scalar) {
                        scalar = pairedSurrogate(scalar) ?? 0xFFFD
                    }
                    appendUTF8(scalar)
                default:
                    pos -= 1
                    throw invalid(e, "in string escape code")
                }
            case 0..<0x20:
                throw invalid(c, "in string literal")
            default:
                scratch.append(c)
                pos += 1
            }
        }
        throw eof()
    }

    /// Reads the 4 hex digits after `\u`.
    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard pos < end else { throw eof() }
            let c = base[pos]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw invalid(c, "in \\u hexadecimal character escape")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    /// Combines a high surrogate with a following `\uDC00`–`\uDFFF` escape; nil leaves it unpaired
    /// (Go then substitutes U+FFFD and reads the next escape on its own).
    mutating func pairedSurrogate(_ high: UInt32) -> UInt32? {
        guard high < 0xDC00, pos + 6 <= end, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u")
        else { return nil }
        let saved = pos
        pos += 2
        guard let low = try? parseHex4(), (0xDC00..<0xE000).contains(low) else {
            pos = saved
            return nil
        }
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        let negative = base[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }
        guard pos < end else { throw eof() }
        var magnitude: UInt64 = 0
        var overflow = false
        let first = base[pos]
        if first == UInt8(ascii: "0") {
            pos += 1
        } else if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
            while pos < end {
                let d = base[pos] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(d))
                overflow = overflow || o1 || o2
                magnitude = m2
                pos += 1
            }
        } else {
            throw invalid(first, "in numeric literal")
        }
        var isInteger = true
        if pos < end && base[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < end else { throw eof() }
            guard base[pos] &- UInt8(ascii: "0") < 10 else {
                throw invalid(base[pos], "after decimal point in numeric literal")
            }
            while pos < end && base[pos] &- UInt8(ascii: "0") < 10 { pos += 1 }
        }
        if pos < end && (base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E")) {
            isInteger = false
            pos += 1
            if pos < end && (base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < end else { throw eof() }
            guard base[pos] &- UInt8(ascii: "0") < 10 else {
                throw invalid(base[pos], "in exponent of numeric literal")
            }
            while pos < end && base[pos] &- UInt8(ascii: "0") < 10 { pos += 1 }
        }
        if isInteger && !overflow {
            if !negative && magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
            if negative && magnitude <= UInt64(Int64.max) + 1 { return .int(Int64(truncatingIfNeeded: 0 &- magnitude)) }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw JSONParseError(message: "json: cannot unmarshal number \(text) into Go value of type float64",
                                 offset: start)
        }
        return .double(double)
    }

    // MARK: errors

    func eof() -> JSONParseError {
        JSONParseError(message: "unexpected end of JSON input", offset: end)
    }

    func invalid(_ c: UInt8, _ context: String) -> JSONParseError {
        JSONParseError(message: "invalid character \(quoteChar(c)) \(context)", offset: pos)
    }
}

// MARK: - Eight bytes at a time

private let swarOnes: UInt64 = 0x0101_0101_0101_0101
private let swarHighs: UInt64 = 0x8080_8080_8080_8080

/// Non-zero when some byte of `word` equals `byte`.
@inline(__always)
func swarHasByte(_ word: UInt64, _ byte: UInt8) -> UInt64 {
    let x = word ^ (swarOnes &* UInt64(byte))
    return (x &- swarOnes) & ~x & swarHighs
}

/// Non-zero when some byte of `word` is below `limit` (at most 128).
@inline(__always)
func swarHasLess(_ word: UInt64, _ limit: UInt8) -> UInt64 {
    (word &- swarOnes &* UInt64(limit)) & ~word & swarHighs
}

/// Go's `quoteChar`: a byte as Go's scanner shows it in an error ('x', '\n', '\x01', '\'').
func quoteChar(_ c: UInt8) -> String {
    if c == UInt8(ascii: "'") { return "'\\''" }
    if c == UInt8(ascii: "\"") { return "'\"'" }
    let quoted = goQuote(String(Character(Unicode.Scalar(c))))
    return "'" + quoted.dropFirst().dropLast() + "'"
}

// MARK: - A stack that moves values in and out without extra retains

/// A growable stack of manually managed storage; elements are moved out when popped,
/// and whatever is left (after a parse error) is destroyed with the stack.
private struct UnsafeStack<Element>: ~Copyable {
    private var storage: UnsafeMutablePointer<Element>?
    private var capacity = 0
    private(set) var count = 0

    init() {}

    deinit {
        if let storage {
            storage.deinitialize(count: count)
            storage.deallocate()
        }
    }

    @inline(__always)
    mutating func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (storage! + count).initialize(to: element)
        count += 1
    }

    private mutating func grow() {
        let newCapacity = max(16, capacity * 2)
        let newStorage = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let storage {
            newStorage.moveInitialize(from: storage, count: count)
            storage.deallocate()
        }
        storage = newStorage
        capacity = newCapacity
    }

    /// Moves the elements from `start` to the top into a new array of exact size.
    mutating func popArray(from start: Int) -> [Element] {
        let n = count - start
        guard n > 0, let storage else { return [] }
        let result = [Element](unsafeUninitializedCapacity: n) { buffer, initialized in
            buffer.baseAddress!.moveInitialize(from: storage + start, count: n)
            initialized = n
        }
        count = start
        return result
    }

    /// Moves the elements from `start` to the top, in push order, into `body`.
    mutating func popAll<K, V>(from start: Int, _ body: (consuming K, consuming V) -> Void) where Element == (K, V) {
        guard let storage else { return }
        let top = count
        count = start  // ownership passes to body as each element is moved out
        for i in start..<top {
            let (k, v) = (storage + i).move()
            body(k, v)
        }
    }
}
