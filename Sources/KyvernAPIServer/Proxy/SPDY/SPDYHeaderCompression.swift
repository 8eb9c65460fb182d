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
        var input = block
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let stream = self.stream
        let result: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status = deflate(stream, Z_SYNC_FLUSH)
                    return (status, out.count - Int(stream.pointee.avail_out))
                }
                output += chunk[0..<produced]
                guard status == Z_OK else { return status }
                if stream.pointee.avail_out != 0 { return Z_OK }
            }
        }
        stream.pointee.next_in = nil
        guard result == Z_OK else { throw .compression("deflate failed: \(result)") }
        return output
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
        var input = block
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let stream = self.stream
        let failure: String? = input.withUnsafeMutableBufferPointer { inBuffer in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(inBuffer.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status = inflate(stream, Z_SYNC_FLUSH)
                    return (status, out.count - Int(stream.pointee.avail_out))
                }
                output += chunk[0..<produced]
                if output.count > limit { return "header block larger than \(limit) bytes" }
                switch status {
                case Z_NEED_DICT:
                    let dictionary = SPDYDictionary.bytes
                    let set = dictionary.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
                    if set != Z_OK { return "inflateSetDictionary failed: \(set)" }
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return nil }
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    return nil
                default:
                    return "inflate failed: \(status)"
                }
            }
        }
        stream.pointee.next_in = nil
        if let failure { throw .compression(failure) }
        return output
    }
}
