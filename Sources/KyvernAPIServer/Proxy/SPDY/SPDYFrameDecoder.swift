/// Cuts frames out of a byte stream that arrives in arbitrary pieces (a WebSocket message may hold
/// part of a frame or several), inflating header blocks with the connection's inbound zlib stream.
struct SPDYFrameDecoder {
    private var buffer: [UInt8] = []
    private var start = 0
    let inflater: SPDYHeaderInflater

    init() throws(SPDYError) {
        inflater = try SPDYHeaderInflater()
    }

    mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive. Unknown control frame types are
    /// skipped, as SPDY/3 asks.
    mutating func next() throws(SPDYError) -> SPDYFrame? {
        while buffer.count - start >= 8 {
            let length = Int(SPDYBytes.read24(buffer, at: start + 5))
            guard buffer.count - start >= 8 + length else { return nil }
            let header = Array(buffer[start..<start + 8])
            let body = Array(buffer[start + 8..<start + 8 + length])
            start += 8 + length
            if let frame = try decode(header: header, body: body) { return frame }
        }
        return nil
    }

    private func decode(header: [UInt8], body: [UInt8]) throws(SPDYError) -> SPDYFrame? {
        let flags = header[4]
        guard header[0] & 0x80 != 0 else {
            let streamID = SPDYBytes.read32(header, at: 0) & 0x7fff_ffff
            return .data(streamID: streamID, fin: flags & SPDYFrame.flagFin != 0, payload: body)
        }
        let version = UInt16(header[0] & 0x7f) << 8 | UInt16(header[1])
        guard version == SPDYFrame.version else { throw .malformed("unsupported version \(version)") }
        guard let kind = SPDYFrame.Kind(rawValue: UInt16(header[2]) << 8 | UInt16(header[3])) else { return nil }
        func word(_ index: Int) throws(SPDYError) -> UInt32 {
            guard body.count >= index * 4 + 4 else { throw .malformed("\(kind) frame too short") }
            return SPDYBytes.read32(body, at: index * 4)
        }
        switch kind {
        case .synStream:
            guard body.count >= 10 else { throw .malformed("SYN_STREAM too short") }
            let headers = try SPDYHeaderBlock.decode(inflater.decompress(Array(body[10...])))
            return .synStream(streamID: try word(0) & 0x7fff_ffff, associatedTo: try word(1) & 0x7fff_ffff,
                              priority: body[8] >> 5, flags: flags, headers: headers)
        case .synReply, .headers:
            let streamID = try word(0) & 0x7fff_ffff
            let headers = try SPDYHeaderBlock.decode(inflater.decompress(Array(body[4...])))
            return kind == .synReply ? .synReply(streamID: streamID, flags: flags, headers: headers)
                : .headers(streamID: streamID, flags: flags, headers: headers)
        case .rstStream:
            return .rstStream(streamID: try word(0) & 0x7fff_ffff, status: try word(1))
        case .settings:
            let count = Int(try word(0))
            guard body.count == 4 + count * 8 else { throw .malformed("SETTINGS length does not match its \(count) entries") }
            var entries: [SPDYSetting] = []
            for index in 0..<count {
                let idWord = try word(1 + index * 2)
                entries.append(SPDYSetting(flags: UInt8(idWord >> 24), id: idWord & 0xff_ffff, value: try word(2 + index * 2)))
            }
            return .settings(flags: flags, entries: entries)
        case .ping:
            return .ping(id: try word(0))
        case .goAway:
            return .goAway(lastStreamID: try word(0) & 0x7fff_ffff, status: body.count >= 8 ? try word(1) : 0)
        case .windowUpdate:
            return .windowUpdate(streamID: try word(0) & 0x7fff_ffff, delta: try word(1) & 0x7fff_ffff)
        }
    }
}
