/// Reads big-endian fields and names from one message, following compression pointers safely.
struct DNSWireReader {
    let bytes: [UInt8]
    var offset = 0

    /// Pointers a single name may follow; more means a loop or an attack, not a real message.
    static let maxPointerJumps = 64

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func readUInt8() throws -> UInt8 {
        guard offset < bytes.count else { throw DNSWireError("message ends inside a field") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws -> UInt16 {
        guard remaining >= 2 else { throw DNSWireError("message ends inside a field") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws -> UInt32 {
        UInt32(try readUInt16()) << 16 | UInt32(try readUInt16())
    }

    mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw DNSWireError("message ends inside a field") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A name at the current offset; pointers must point backwards (RFC 1035 §4.1.4 allows only
    /// prior occurrences), which with the jump limit rules out loops.
    mutating func readName() throws -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var position = offset
        var jumps = 0
        var endAfterFirstPointer: Int?
        while true {
            guard position < bytes.count else { throw DNSWireError("name runs past the end of the message") }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = endAfterFirstPointer ?? position + 1
                    return DNSName(labels: labels)
                }
                let start = position + 1
                let end = start + Int(length)
                guard end <= bytes.count else { throw DNSWireError("label runs past the end of the message") }
                wireLength += 1 + Int(length)
                guard wireLength <= DNSName.maxWireLength else { throw DNSWireError("name longer than 255 bytes") }
                labels.append(Array(bytes[start..<end]))
                position = end
            case 0xC0:
                guard position + 1 < bytes.count else { throw DNSWireError("pointer runs past the end of the message") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < position else { throw DNSWireError("compression pointer does not point backwards") }
                jumps += 1
                guard jumps <= Self.maxPointerJumps else { throw DNSWireError("too many compression pointers") }
                if endAfterFirstPointer == nil { endAfterFirstPointer = position + 2 }
                position = target
            default:
                throw DNSWireError("unsupported label type")
            }
        }
    }
}
