extension DNSMessage {
    /// The header's id and flags, readable from any message of at least 12 bytes, so a malformed
    /// query can still be answered with FORMERR under its own id.
    package static func peekHeader(_ bytes: [UInt8]) -> (id: UInt16, isResponse: Bool, opcode: UInt8)? {
        guard bytes.count >= 12 else { return nil }
        return (UInt16(bytes[0]) << 8 | UInt16(bytes[1]), bytes[2] & 0x80 != 0, (bytes[2] >> 3) & 0x0F)
    }

    /// Parses a whole message; throws ``DNSWireError`` on anything malformed (truncated fields,
    /// bad pointers, record data of the wrong length, bytes left over, a second OPT record).
    package init(decoding bytes: [UInt8]) throws {
        var reader = DNSWireReader(bytes)
        self.init(id: try reader.readUInt16())
        let flags = try reader.readUInt16()
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0x0F)
        authoritative = flags & 0x0400 != 0
        truncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        authenticData = flags & 0x0020 != 0
        checkingDisabled = flags & 0x0010 != 0
        rcode = DNSResponseCode(rawValue: UInt8(flags & 0x000F))
        let questionCount = Int(try reader.readUInt16())
        let answerCount = Int(try reader.readUInt16())
        let authorityCount = Int(try reader.readUInt16())
        let additionalCount = Int(try reader.readUInt16())
        // Every question takes at least 5 bytes and every record 11: refuse counts the message
        // cannot hold before allocating for them.
        guard questionCount * 5 + (answerCount + authorityCount + additionalCount) * 11 <= reader.remaining else {
            throw DNSWireError("section counts exceed the message")
        }
        for _ in 0..<questionCount {
            let name = try reader.readName()
            questions.append(DNSQuestion(name: name, type: DNSRecordType(rawValue: try reader.readUInt16()),
                                         questionClass: try reader.readUInt16()))
        }
        for _ in 0..<answerCount { answers.append(try Self.readRecord(&reader)) }
        for _ in 0..<authorityCount { authority.append(try Self.readRecord(&reader)) }
        for _ in 0..<additionalCount {
            let record = try Self.readRecord(&reader)
            if case .opt(let options) = record.data {
                guard edns == nil else { throw DNSWireError("more than one OPT record") }
                guard record.name == .root else { throw DNSWireError("OPT record not owned by the root") }
                var edns = EDNS(udpPayloadSize: record.recordClass)
                edns.extendedRcode = UInt8(record.ttl >> 24)
                edns.version = UInt8((record.ttl >> 16) & 0xFF)
                edns.dnssecOK = record.ttl & 0x8000 != 0
                edns.options = options
                self.edns = edns
            } else {
                additional.append(record)
            }
        }
        guard reader.remaining == 0 else { throw DNSWireError("bytes left after the last record") }
    }

    private static func readRecord(_ reader: inout DNSWireReader) throws -> DNSRecord {
        let name = try reader.readName()
        let type = DNSRecordType(rawValue: try reader.readUInt16())
        let recordClass = try reader.readUInt16()
        let ttl = try reader.readUInt32()
        let length = Int(try reader.readUInt16())
        guard reader.remaining >= length else { throw DNSWireError("record data runs past the end of the message") }
        let end = reader.offset + length
        let data: DNSRecordData
        switch type {
        case .a:
            guard length == 4 else { throw DNSWireError("A record data is not 4 bytes") }
            data = .a(try reader.readBytes(4))
        case .aaaa:
            guard length == 16 else { throw DNSWireError("AAAA record data is not 16 bytes") }
            data = .aaaa(try reader.readBytes(16))
        case .ns: data = .ns(try reader.readName())
        case .cname: data = .cname(try reader.readName())
        case .ptr: data = .ptr(try reader.readName())
        case .soa:
            data = .soa(.init(mname: try reader.readName(), rname: try reader.readName(),
                              serial: try reader.readUInt32(), refresh: try reader.readUInt32(),
                              retry: try reader.readUInt32(), expire: try reader.readUInt32(),
                              minimum: try reader.readUInt32()))
        case .srv:
            data = .srv(.init(priority: try reader.readUInt16(), weight: try reader.readUInt16(),
                              port: try reader.readUInt16(), target: try reader.readName()))
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.readUInt8())
                guard reader.offset + count <= end else { throw DNSWireError("TXT string runs past its record") }
                strings.append(try reader.readBytes(count))
            }
            data = .txt(strings)
        case .opt:
            data = .opt(try reader.readBytes(length))
        default:
            data = .other(type, try reader.readBytes(length))
        }
        guard reader.offset == end else { throw DNSWireError("\(type) record data has the wrong length") }
        return DNSRecord(name: name, ttl: ttl, data: data, recordClass: recordClass)
    }
}
