/// The uncompressed SPDY/3 header block: a 32-bit pair count, then each name and value with a
/// 32-bit length prefix.
enum SPDYHeaderBlock {
    static func encode(_ headers: [SPDYHeader]) -> [UInt8] {
        var bytes: [UInt8] = []
        SPDYBytes.append32(UInt32(headers.count), to: &bytes)
        for header in headers {
            for text in [header.name.lowercased(), header.value] {
                SPDYBytes.append32(UInt32(text.utf8.count), to: &bytes)
                bytes += Array(text.utf8)
            }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws(SPDYError) -> [SPDYHeader] {
        var offset = 0
        func take32() throws(SPDYError) -> Int {
            guard offset + 4 <= bytes.count else { throw .malformed("header block truncated") }
            defer { offset += 4 }
            return Int(SPDYBytes.read32(bytes, at: offset))
        }
        func takeText() throws(SPDYError) -> String {
            let count = try take32()
            guard count <= bytes.count - offset else { throw .malformed("header block truncated") }
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }
        let count = try take32()
        guard count <= bytes.count / 8 else { throw .malformed("header count \(count) too large") }
        var headers: [SPDYHeader] = []
        for _ in 0..<count {
            let name = try takeText()
            guard !name.isEmpty else { throw .malformed("empty header name") }
            headers.append(SPDYHeader(name, try takeText()))
        }
        return headers
    }
}

/// Big-endian integers as SPDY lays them out.
enum SPDYBytes {
    static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func read32<C: RandomAccessCollection<UInt8>>(_ bytes: C, at offset: Int) -> UInt32 where C.Index == Int {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func read24<C: RandomAccessCollection<UInt8>>(_ bytes: C, at offset: Int) -> UInt32 where C.Index == Int {
        bytes[offset..<offset + 3].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
