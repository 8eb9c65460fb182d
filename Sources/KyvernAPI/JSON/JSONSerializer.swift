extension JSONValue {
    /// Compact JSON, byte-for-byte what Go's `encoding/json` would write for the same object
    /// (modulo key order, which is deterministic: see `serialize(into:)`).
    public func serialized() -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        writer.write(self)
        return writer.bytes()
    }

    /// Appends compact JSON to `out`.
    ///
    /// Object keys come in a fixed order — `apiVersion`, `kind`, `metadata`, `spec`, `status` first,
    /// then the rest sorted — so equal objects give equal bytes (stable ETags, diffs, watch events)
    /// and responses read like upstream's. Strings are escaped as Go does, including `<`, `>`, `&`,
    /// U+2028 and U+2029; non-finite doubles (which JSON cannot carry) are written as `null`.
    public func serialize(into out: inout [UInt8]) {
        var writer = JSONWriter(capacity: 1024)
        writer.write(self)
        writer.append(to: &out)
    }

    /// The compact JSON text.
    public var jsonString: String {
        var writer = JSONWriter(capacity: 256)
        writer.write(self)
        return writer.string()
    }
}

/// Appends `s` as a quoted JSON string, escaped as Go's `encoding/json` does.
package func appendJSONString(_ s: String, to out: inout [UInt8]) {
    var writer = JSONWriter(capacity: s.utf8.count + 16)
    writer.writeString(s)
    writer.append(to: &out)
}

// MARK: - Writer

/// An output buffer written through a raw pointer: no uniqueness or bounds checks per byte,
/// growth by doubling, one copy into the caller's array at the end.
struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    private let needsEscape = escapeTable

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    func bytes() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.baseAddress!.update(from: base, count: count)
            initialized = count
        }
    }

    func string() -> String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    func append(to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never)
    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    mutating func bytes(_ source: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        if n <= 16 {
            // Most runs are short keys and values: a loop beats a call to memmove.
            for k in 0..<n { base[count + k] = source[k] }
        } else {
            (base + count).update(from: source, count: n)
        }
        count += n
    }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        bytes(text.utf8Start, text.utf8CodeUnitCount)
    }

    // MARK: values

    mutating func write(_ value: consuming JSONValue) {
        switch consume value {
        case .null: literal("null")
        case .bool(let b): literal(b ? "true" : "false")
        case .int(let i): writeInteger(i)
        case .double(let d): writeGoFloat(d)
        case .string(let s): writeString(s)
        case .array(let a):
            byte(UInt8(ascii: "["))
            var first = true
            for element in a {
                if !first { byte(UInt8(ascii: ",")) }
                first = false
                write(element)
            }
            byte(UInt8(ascii: "]"))
        case .object(let o):
            writeObject(o)
        }
    }

    mutating func writeObject(_ object: [String: JSONValue]) {
        let n = object.count
        byte(UInt8(ascii: "{"))
        if n == 1 {
            let index = object.startIndex
            writeString(object.keys[index])
            byte(UInt8(ascii: ":"))
            write(object.values[index])
        } else if n > 1 {
            typealias Slot = (rank: Int, index: Dictionary<String, JSONValue>.Index)
            let keys = object.keys
            withUnsafeTemporaryAllocation(of: Slot.self, capacity: n) { buffer in
                var slots = buffer
                var i = 0
                var index = object.startIndex
                while index != object.endIndex {
                    slots.initializeElement(at: i, to: (keyRank(keys[index]), index))
                    i += 1
                    object.formIndex(after: &index)
                }
                slots.sort { a, b in a.rank != b.rank ? a.rank < b.rank : keys[a.index] < keys[b.index] }
                for j in 0..<n {
                    if j > 0 { byte(UInt8(ascii: ",")) }
                    writeString(keys[slots[j].index])
                    byte(UInt8(ascii: ":"))
                    write(object.values[slots[j].index])
                }
                _ = slots.deinitialize()
            }
        }
        byte(UInt8(ascii: "}"))
    }

    mutating func writeInteger(_ value: Int64) {
        reserve(20)
        if value >= 0 && value < 10 {
            base[count] = UInt8(ascii: "0") + UInt8(value)
            count += 1
            return
        }
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat {
            digits += 1
            probe /= 10
        } while probe > 0
        var i = count + digits
        while i > count {
            i -= 1
            base[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        }
        count += digits
    }

    mutating func writeString(_ s: String) {
        if let done: Void = s.utf8.withContiguousStorageIfAvailable({ writeEscaped($0) }) {
            return done
        }
        Array(s.utf8).withUnsafeBufferPointer { writeEscaped($0) }
    }

    /// Writes `"..."`, copying runs of plain bytes at once and escaping the rest as Go does:
    /// controls (`\n`, `\r`, `\t`, `\b`, `\f` short, others `\u00XX`), `"`, `\\`,
    /// the HTML-sensitive `<`, `>`, `&`, and U+2028/U+2029.
    mutating func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        reserve(n + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1
        guard let source = bytes.baseAddress else {
            byte(UInt8(ascii: "\""))
            return
        }
        var runStart = 0
        var i = 0
        while i < n {
            // Skip eight plain ASCII bytes at a time; any byte that might need escaping (or is not
            // ASCII, for U+2028/U+2029) drops to the byte loop below.
            while i + 8 <= n {
                let word = UnsafeRawPointer(source + i).loadUnaligned(as: UInt64.self)
                let special = swarHasByte(word, 0x22) | swarHasByte(word, 0x5C) | swarHasByte(word, 0x3C)
                    | swarHasByte(word, 0x3E) | swarHasByte(word, 0x26) | swarHasLess(word, 0x20)
                    | (word & 0x8080_8080_8080_8080)
                if special != 0 { break }
                i += 8
            }
            guard i < n else { break }
            let b = source[i]
            if !needsEscape[Int(b)] {
                i += 1
                continue
            }
            if b == 0xE2 {
                // Only U+2028 (E2 80 A8) and U+2029 (E2 80 A9) need escaping.
                guard i + 2 < n, source[i + 1] == 0x80, source[i + 2] & 0xFE == 0xA8 else {
                    i += 1
                    continue
                }
            }
            if runStart < i { self.bytes(source + runStart, i - runStart) }
            switch b {
            case 0x22: literal("\\\"")
            case 0x5C: literal("\\\\")
            case 0x0A: literal("\\n")
            case 0x0D: literal("\\r")
            case 0x09: literal("\\t")
            case 0x08: literal("\\b")
            case 0x0C: literal("\\f")
            case 0xE2:
                literal(source[i + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                i += 2
            default:
                let hex: StaticString = "0123456789abcdef"
                literal("\\u00")
                byte(hex.utf8Start[Int(b >> 4)])
                byte(hex.utf8Start[Int(b & 0xF)])
            }
            i += 1
            runStart = i
        }
        if runStart < n { self.bytes(source + runStart, n - runStart) }
        byte(UInt8(ascii: "\""))
    }
}

/// Where a key sorts: the five Kubernetes envelope keys first, in that order, then everything else.
@inline(__always)
private func keyRank(_ key: String) -> Int {
    switch key.utf8.count {
    case 4: return key == "kind" ? 1 : (key == "spec" ? 3 : 5)
    case 6: return key == "status" ? 4 : 5
    case 8: return key == "metadata" ? 2 : 5
    case 10: return key == "apiVersion" ? 0 : 5
    default: return 5
    }
}

/// Bytes that cannot be copied through: controls, `"`, `\\`, `<`, `>`, `&`, and 0xE2 (the lead byte
/// of U+2028/U+2029, checked further when met). Built once; read through a pointer so the hot loop
/// does one load per byte and no lazy-initialisation check.
nonisolated(unsafe) private let escapeTable: UnsafePointer<Bool> = {
    let table = UnsafeMutablePointer<Bool>.allocate(capacity: 256)
    for b in 0..<256 {
        table[b] = b < 0x20 || b == 0x22 || b == 0x5C || b == 0x3C || b == 0x3E || b == 0x26 || b == 0xE2
    }
    return UnsafePointer(table)
}()

// MARK: - Floating point

/// Go's float64 encoding: the shortest digits that round-trip, in plain notation for
/// 1e-6 ≤ |x| < 1e21 and exponent notation (`1e+21`, `1e-7`) outside it.
extension JSONWriter {
    mutating func writeGoFloat(_ value: Double) {
        var out: [UInt8] = []
        appendGoFloat(value, to: &out)
        out.withUnsafeBufferPointer { bytes($0.baseAddress!, $0.count) }
    }
}

private func appendGoFloat(_ value: Double, to out: inout [UInt8]) {
    guard value.isFinite else {
        out.append(contentsOf: Array("null".utf8))
        return
    }
    if value == 0 {
        if value.sign == .minus { out.append(UInt8(ascii: "-")) }
        out.append(UInt8(ascii: "0"))
        return
    }
    // Swift's description is the shortest round-tripping decimal; take its digits and exponent.
    let (digits, pointExponent) = shortestDigits(value.magnitude)
    if value < 0 { out.append(UInt8(ascii: "-")) }
    let magnitude = value.magnitude
    if magnitude >= 1e-6 && magnitude < 1e21 {
        // value = 0.d1d2d3... × 10^pointExponent
        if pointExponent <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-pointExponent) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits)
        } else if pointExponent >= digits.count {
            out.append(contentsOf: digits)
            for _ in 0..<(pointExponent - digits.count) { out.append(UInt8(ascii: "0")) }
        } else {
            out.append(contentsOf: digits[0..<pointExponent])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[pointExponent...])
        }
    } else {
        out.append(digits[0])
        if digits.count > 1 {
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[1...])
        }
        let exponent = pointExponent - 1
        out.append(UInt8(ascii: "e"))
        out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let e = abs(exponent)
        // Go writes at least two exponent digits, then trims "e-07" to "e-7" (not "e+07").
        if e < 10 && exponent >= 0 { out.append(UInt8(ascii: "0")) }
        out.append(contentsOf: Array(String(e).utf8))
    }
}

/// The significant digits of a positive finite double (no leading/trailing zeros) and the
/// exponent `p` such that the value is `0.digits × 10^p`.
private func shortestDigits(_ value: Double) -> (digits: [UInt8], pointExponent: Int) {
    var digits: [UInt8] = []
    var pointIndex: Int? = nil
    var exponent = 0
    var seenE = false
    var exponentNegative = false
    for b in value.description.utf8 {
        if seenE {
            if b == UInt8(ascii: "-") { exponentNegative = true } else if b != UInt8(ascii: "+") {
                exponent = exponent * 10 + Int(b - UInt8(ascii: "0"))
            }
        } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            seenE = true
        } else if b == UInt8(ascii: ".") {
            pointIndex = digits.count
        } else {
            digits.append(b)
        }
    }
    if exponentNegative { exponent = -exponent }
    var point = (pointIndex ?? digits.count) + exponent
    // Strip leading zeros (each moves the point left) and trailing zeros.
    var lead = 0
    while lead < digits.count - 1 && digits[lead] == UInt8(ascii: "0") { lead += 1 }
    point -= lead
    var trail = digits.count
    while trail > lead + 1 && digits[trail - 1] == UInt8(ascii: "0") { trail -= 1 }
    return (Array(digits[lead..<trail]), point)
}
