extension DNSMessage {
    /// The message as bytes, names compressed. With `maxSize`, records that do not fit are left
    /// out whole, from the end: dropping answers or authority sets the TC bit (RFC 2181 §9), dropping
    /// only additional records does not. The question and OPT record are always kept.
    package func encoded(maxSize: Int = .max) -> [UInt8] {
        var writer = DNSWireWriter()
        writer.write(id)
        writer.write(UInt16(0)) // flags, set last (TC may change)
        writer.write(UInt16(questions.count))
        for _ in 0..<3 { writer.write(UInt16(0)) } // section counts, set last
        for question in questions {
            writer.write(question.name)
            writer.write(question.type.rawValue)
            writer.write(question.questionClass)
        }
        let optRecord = edns.map(Self.optRecord)
        let reserve = optRecord.map { 11 + $0.optLength } ?? 0
        var counts = [0, 0, 0]
        var truncated = self.truncated
        sections: for (section, records) in [answers, authority, additional].enumerated() {
            for record in records {
                let mark = writer.bytes.count
                Self.write(record, to: &writer)
                if writer.bytes.count + reserve > maxSize {
                    writer.truncate(to: mark)
                    if section < 2 { truncated = true }
                    break sections
                }
                counts[section] += 1
            }
        }
        if let optRecord {
            Self.write(optRecord.record, to: &writer)
            counts[2] += 1
        }
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode & 0x0F) << 11
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        flags |= UInt16(rcode.rawValue & 0x0F)
        writer.set(flags, at: 2)
        writer.set(UInt16(counts[0]), at: 6)
        writer.set(UInt16(counts[1]), at: 8)
        writer.set(UInt16(counts[2]), at: 10)
        return writer.bytes
    }

    private static func optRecord(_ edns: EDNS) -> (record: DNSRecord, optLength: Int) {
        let ttl = UInt32(edns.extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0)
        return (DNSRecord(name: .root, ttl: ttl, data: .opt(edns.options), recordClass: edns.udpPayloadSize),
                edns.options.count)
    }

    private static func write(_ record: DNSRecord, to writer: inout DNSWireWriter) {
        writer.write(record.name)
        writer.write(record.type.rawValue)
        writer.write(record.recordClass)
        writer.write(record.ttl)
        let lengthOffset = writer.bytes.count
        writer.write(UInt16(0))
        let start = writer.bytes.count
        switch record.data {
        case .a(let address), .aaaa(let address):
            writer.write(address)
        case .ns(let name), .cname(let name), .ptr(let name):
            writer.write(name)
        case .soa(let soa):
            writer.write(soa.mname)
            writer.write(soa.rname)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writer.write(value) }
        case .srv(let srv):
            writer.write(srv.priority)
            writer.write(srv.weight)
            writer.write(srv.port)
            writer.write(srv.target, compress: false)
        case .txt(let strings):
            for string in strings {
                let bytes = string.prefix(255)
                writer.write(UInt8(bytes.count))
                writer.write(Array(bytes))
            }
        case .opt(let bytes), .other(_, let bytes):
            writer.write(bytes)
        }
        writer.set(UInt16(writer.bytes.count - start), at: lengthOffset)
    }
}
