/// Finds a top-level member's value inside compact JSON bytes without decoding them, so a Table
/// row can carry an object's `metadata` (or the whole object) by copying the cached bytes.
enum SerializedJSON {
    /// The byte range of the value of `key` in the top-level object, nil if absent or not an object.
    static func memberRange(_ key: String, in bytes: [UInt8]) -> Range<Int>? {
        let wanted = Array(key.utf8)
        return bytes.withUnsafeBufferPointer { b -> Range<Int>? in
            var i = skipSpace(b, 0)
            guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
            i = skipSpace(b, i + 1)
            while i < b.count, b[i] == UInt8(ascii: "\"") {
                let keyStart = i + 1
                guard let keyEnd = stringEnd(b, i) else { return nil }
                let matches = keyEnd - 1 - keyStart == wanted.count
                    && wanted.withUnsafeBufferPointer { w in
                        (0..<w.count).allSatisfy { b[keyStart + $0] == w[$0] }
                    }
                i = skipSpace(b, keyEnd)
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                let valueStart = skipSpace(b, i + 1)
                guard let valueEnd = valueEnd(b, valueStart) else { return nil }
                if matches { return valueStart..<valueEnd }
                i = skipSpace(b, valueEnd)
                guard i < b.count, b[i] == UInt8(ascii: ",") else { return nil }
                i = skipSpace(b, i + 1)
            }
            return nil
        }
    }

    private static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        return i
    }

    /// The index just past the string that starts with the quote at `start`.
    private static func stringEnd(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var i = start + 1
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    /// The index just past the value that starts at `start`.
    private static func valueEnd(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        guard start < b.count else { return nil }
        switch b[start] {
        case UInt8(ascii: "\""):
            return stringEnd(b, start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = start
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(b, i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default:
                    break
                }
                i += 1
            }
            return nil
        default:
            var i = start
            while i < b.count, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: "]") { i += 1 }
            return i
        }
    }
}
