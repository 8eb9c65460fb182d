/// The few SPDY/3.1 frames a remote-command client needs (upstream's streaming servers speak SPDY
/// beside WebSocket). SPDY is used where WebSocket v4 falls short: a stream can be half-closed, so
/// an exec's standard input can end while its output still flows.
enum SPDYFrames {
    static let version: UInt16 = 3
    static let finFlag: UInt8 = 0x01

    enum ControlType: UInt16 {
        case synStream = 1, synReply = 2, rstStream = 3, settings = 4, ping = 6, goAway = 7, headers = 8, windowUpdate = 9
    }

    /// One frame read off the connection.
    enum Frame: Equatable {
        case data(streamID: UInt32, flags: UInt8, payload: [UInt8])
        case control(type: UInt16, flags: UInt8, payload: [UInt8])
    }

    /// A SYN_STREAM opening `streamID` with `headerBlock` (from ``HeaderEncoder``).
    static func synStream(streamID: UInt32, headerBlock: [UInt8]) -> [UInt8] {
        var payload = bigEndian(streamID & 0x7fff_ffff)
        payload += [0, 0, 0, 0]  // associated-to stream
        payload += [0, 0]  // priority, slot
        payload += headerBlock
        return control(.synStream, flags: 0, payload: payload)
    }

    /// A DATA frame; `fin` half-closes the stream from this side.
    static func data(streamID: UInt32, payload: [UInt8], fin: Bool = false) -> [UInt8] {
        bigEndian(streamID & 0x7fff_ffff) + [fin ? finFlag : 0] + length24(payload.count) + payload
    }

    static func control(_ type: ControlType, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(version >> 8), UInt8(version & 0xff), UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xff)]
            + [flags] + length24(payload.count) + payload
    }

    /// Removes and returns the first complete frame at the start of `buffer`; nil while it is incomplete.
    static func next(from buffer: inout [UInt8]) -> Frame? {
        guard buffer.count >= 8 else { return nil }
        let length = Int(buffer[5]) << 16 | Int(buffer[6]) << 8 | Int(buffer[7])
        guard buffer.count >= 8 + length else { return nil }
        let payload = Array(buffer[8..<(8 + length)])
        let flags = buffer[4]
        let frame: Frame
        if buffer[0] & 0x80 != 0 {
            frame = .control(type: UInt16(buffer[2]) << 8 | UInt16(buffer[3]), flags: flags, payload: payload)
        } else {
            let id = UInt32(buffer[0] & 0x7f) << 24 | UInt32(buffer[1]) << 16 | UInt32(buffer[2]) << 8 | UInt32(buffer[3])
            frame = .data(streamID: id, flags: flags, payload: payload)
        }
        buffer.removeFirst(8 + length)
        return frame
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func length24(_ count: Int) -> [UInt8] {
        [UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
    }

    /// SPDY header blocks form one zlib stream per direction. Peers decompress with the SPDY
    /// dictionary as preset history, but a stream of stored (uncompressed) deflate blocks never
    /// refers to history, so no compressor (nor the dictionary) is needed to write valid blocks.
    struct HeaderEncoder {
        private var started = false

        /// The next header block: the pairs, lowercase names, 32-bit lengths (SPDY/3).
        mutating func encode(_ headers: [(String, String)]) -> [UInt8] {
            var plain = bigEndian(UInt32(headers.count))
            for (name, value) in headers {
                let n = Array(name.lowercased().utf8), v = Array(value.utf8)
                plain += bigEndian(UInt32(n.count)) + n + bigEndian(UInt32(v.count)) + v
            }
            var out: [UInt8] = []
            if !started {
                out += [0x78, 0x01]  // zlib header: deflate, 32 KiB window, no preset dictionary id
                started = true
            }
            var rest = plain[...]
            repeat {
                let chunk = rest.prefix(0xffff)
                rest = rest.dropFirst(chunk.count)
                let len = UInt16(chunk.count)
                // a non-final stored block: 3 header bits (0), padded to the byte
                out += [0x00, UInt8(len & 0xff), UInt8(len >> 8), UInt8(~len & 0xff), UInt8(~len >> 8)] + chunk
            } while !rest.isEmpty
            // An empty stored block, as zlib's sync flush ends every block: a reader hands over the
            // block's bytes only on reaching it, without asking for bytes past this frame.
            out += [0x00, 0x00, 0x00, 0xff, 0xff]
            return out
        }
    }
}
