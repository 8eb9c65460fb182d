/// Serialises frames, compressing header blocks with the connection's one outbound zlib stream
/// (so frames must reach the wire in the order they were encoded).
struct SPDYFrameEncoder {
    let deflater: SPDYHeaderDeflater

    init() throws(SPDYError) {
        deflater = try SPDYHeaderDeflater()
    }

    func encode(_ frame: SPDYFrame) throws(SPDYError) -> [UInt8] {
        switch frame {
        case .data(let streamID, let fin, let payload):
            var bytes: [UInt8] = []
            SPDYBytes.append32(streamID & 0x7fff_ffff, to: &bytes)
            bytes.append(fin ? SPDYFrame.flagFin : 0)
            appendLength(payload.count, to: &bytes)
            return bytes + payload
        case .synStream(let streamID, let associatedTo, let priority, let flags, let headers):
            var body: [UInt8] = []
            SPDYBytes.append32(streamID & 0x7fff_ffff, to: &body)
            SPDYBytes.append32(associatedTo & 0x7fff_ffff, to: &body)
            body += [(priority & 0x7) << 5, 0]
            body += try deflater.compress(SPDYHeaderBlock.encode(headers))
            return control(.synStream, flags: flags, body: body)
        case .synReply(let streamID, let flags, let headers):
            return try control(.synReply, flags: flags, streamID: streamID, headers: headers)
        case .headers(let streamID, let flags, let headers):
            return try control(.headers, flags: flags, streamID: streamID, headers: headers)
        case .rstStream(let streamID, let status):
            return control(.rstStream, flags: 0, words: [streamID & 0x7fff_ffff, status])
        case .settings(let flags, let entries):
            var body: [UInt8] = []
            SPDYBytes.append32(UInt32(entries.count), to: &body)
            for entry in entries {
                SPDYBytes.append32(UInt32(entry.flags) << 24 | entry.id & 0xff_ffff, to: &body)
                SPDYBytes.append32(entry.value, to: &body)
            }
            return control(.settings, flags: flags, body: body)
        case .ping(let id):
            return control(.ping, flags: 0, words: [id])
        case .goAway(let lastStreamID, let status):
            return control(.goAway, flags: 0, words: [lastStreamID & 0x7fff_ffff, status])
        case .windowUpdate(let streamID, let delta):
            return control(.windowUpdate, flags: 0, words: [streamID & 0x7fff_ffff, delta & 0x7fff_ffff])
        }
    }

    private func control(_ kind: SPDYFrame.Kind, flags: UInt8, streamID: UInt32, headers: [SPDYHeader]) throws(SPDYError) -> [UInt8] {
        var body: [UInt8] = []
        SPDYBytes.append32(streamID & 0x7fff_ffff, to: &body)
        body += try deflater.compress(SPDYHeaderBlock.encode(headers))
        return control(kind, flags: flags, body: body)
    }

    private func control(_ kind: SPDYFrame.Kind, flags: UInt8, words: [UInt32]) -> [UInt8] {
        var body: [UInt8] = []
        for word in words { SPDYBytes.append32(word, to: &body) }
        return control(kind, flags: flags, body: body)
    }

    private func control(_ kind: SPDYFrame.Kind, flags: UInt8, body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x80 | UInt8(SPDYFrame.version >> 8), UInt8(truncatingIfNeeded: SPDYFrame.version),
                              UInt8(kind.rawValue >> 8), UInt8(truncatingIfNeeded: kind.rawValue), flags]
        appendLength(body.count, to: &bytes)
        return bytes + body
    }

    private func appendLength(_ count: Int, to bytes: inout [UInt8]) {
        bytes += [UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)]
    }
}
