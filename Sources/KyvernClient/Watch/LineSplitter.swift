/// Cuts a byte stream into lines, whatever the chunk boundaries.
///
/// HTTP chunks of a watch response split events anywhere, even inside a multi-byte character, so
/// bytes are buffered until a newline and only whole lines are handed on.
struct LineSplitter: Sendable {
    private var pending: [UInt8] = []

    /// Appends a chunk and returns the lines it completed (without "\n" or a trailing "\r"),
    /// skipping blank ones.
    mutating func append(_ chunk: some Sequence<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        // Network chunks are contiguous: find the newlines and copy the spans between them in
        // bulk rather than byte by byte (a watch of pods moves megabytes a second).
        let done: Void? = chunk.withContiguousStorageIfAvailable { bytes in
            var start = bytes.startIndex
            while let newline = bytes[start...].firstIndex(of: 0x0A) {
                pending.append(contentsOf: bytes[start..<newline])
                if let line = take() { lines.append(line) }
                start = newline + 1
            }
            pending.append(contentsOf: bytes[start...])
        }
        if done == nil {
            for byte in chunk {
                if byte == 0x0A {
                    if let line = take() { lines.append(line) }
                } else {
                    pending.append(byte)
                }
            }
        }
        return lines
    }

    /// The unterminated last line, if the stream ended without a newline.
    mutating func finish() -> [UInt8]? {
        take()
    }

    private mutating func take() -> [UInt8]? {
        var line = pending
        pending.removeAll(keepingCapacity: true)
        if line.last == 0x0D { line.removeLast() }
        return line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? nil : line
    }
}
