import CZlib

/// SPDY/3 header-block compression: one zlib stream per direction for the whole connection,
/// primed with ``SPDYDictionary``, each block ended by a sync flush. The state spans frames, so
/// one instance belongs to one connection's reader (inflate) or writer (deflate) and is never
/// shared between tasks.
final class SPDYHeaderDeflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(SPDYError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard deflateInit_(stream, Z_BEST_COMPRESSION, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw .compression("deflateInit failed")
        }
        let dictionary = SPDYDictionary.bytes
        let status = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
        guard status == Z_OK else { throw .compression("deflateSetDictionary failed: \(status)") }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func compress(_ block: [UInt8]) throws(SPDYError) -> [UInt8] {
        try ZlibPump.run(stream, over: block, step: { deflate($0, Z_SYNC_FLUSH) }) { stream, status, _ in
            guard status == Z_OK else { return .fail("deflate failed: \(status)") }
            // Output space left over means deflate has flushed everything it was given.
            return stream.pointee.avail_out != 0 ? .done : .more
        }
    }
}

final class SPDYHeaderInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(SPDYError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard inflateInit_(stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw .compression("inflateInit failed")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Inflates one block; the peer's first block asks for the dictionary (Z_NEED_DICT).
    func decompress(_ block: [UInt8], limit: Int = 1 << 20) throws(SPDYError) -> [UInt8] {
        try ZlibPump.run(stream, over: block, step: { inflate($0, Z_SYNC_FLUSH) }) { stream, status, produced in
            if produced > limit { return .fail("header block larger than \(limit) bytes") }
            switch status {
            case Z_NEED_DICT:
                let dictionary = SPDYDictionary.bytes
                let set = dictionary.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
                return set == Z_OK ? .more : .fail("inflateSetDictionary failed: \(set)")
            case Z_OK:
                return stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 ? .done : .more
            case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                return .done
            default:
                return .fail("inflate failed: \(status)")
            }
        }
    }
}

/// Feeds one block through a zlib stream 4 KiB of output at a time; deflate and inflate differ
/// only in the step they take and in when a block is finished, which `decide` tells.
private enum ZlibPump {
    enum Next { case more, done, fail(String) }

    static func run(_ stream: UnsafeMutablePointer<z_stream>, over block: [UInt8],
                    step: (UnsafeMutablePointer<z_stream>) -> Int32,
                    decide: (UnsafeMutablePointer<z_stream>, _ status: Int32, _ produced: Int) -> Next) throws(SPDYError) -> [UInt8] {
        var input = block
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let failure: String? = input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status = step(stream)
                    return (status, out.count - Int(stream.pointee.avail_out))
                }
                output += chunk[0..<produced]
                switch decide(stream, status, output.count) {
                case .more: continue
                case .done: return nil
                case .fail(let message): return message
                }
            }
        }
        stream.pointee.next_in = nil
        if let failure { throw .compression(failure) }
        return output
    }
}
