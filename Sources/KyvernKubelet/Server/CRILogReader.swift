import Foundation

/// Turns the bytes of a CRI log file into what `kubectl logs` prints, applying since, tail,
/// timestamps and the byte limit exactly once across the initial read and any followed growth.
package struct CRILogReader: Sendable {
    package let options: LogOptions
    /// Bytes still allowed by limitBytes (nil: unlimited).
    private var remaining: Int?
    /// An incomplete last line waiting for the rest of it (only while following).
    private var pending: [UInt8] = []

    package init(options: LogOptions) {
        self.options = options
        self.remaining = options.limitBytes
    }

    /// True once limitBytes has been reached: the stream should end.
    package var exhausted: Bool { remaining.map { $0 <= 0 } ?? false }

    /// The output for the file's contents at the start of the request (tail applies here only).
    package mutating func initial(_ data: [UInt8]) -> [UInt8] {
        var records = parse(data)
        if let tail = options.tailLines { records = Array(records.suffix(tail)) }
        return emit(records)
    }

    /// The output for bytes appended to the file while following.
    package mutating func appended(_ data: [UInt8]) -> [UInt8] {
        emit(parse(data))
    }

    private mutating func parse(_ data: [UInt8]) -> [CRILogRecord] {
        var bytes = pending
        bytes.append(contentsOf: data)
        pending = []
        var records: [CRILogRecord] = []
        var start = 0
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if let record = CRILogRecord.parse(bytes[start..<newline]) {
                if let since = options.since, record.timestamp < since {
                    // Too old.
                } else {
                    records.append(record)
                }
            }
            start = newline + 1
        }
        if start < bytes.count { pending = Array(bytes[start...]) }
        return records
    }

    private mutating func emit(_ records: [CRILogRecord]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            if exhausted { break }
            var bytes = record.rendered(timestamps: options.timestamps)
            if let left = remaining {
                if bytes.count > left { bytes = Array(bytes.prefix(left)) }
                remaining = left - bytes.count
            }
            out.append(contentsOf: bytes)
        }
        return out
    }
}
