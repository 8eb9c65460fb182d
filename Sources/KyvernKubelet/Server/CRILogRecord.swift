package import Foundation

/// One line of a container log file in the CRI format `<RFC3339Nano> <stdout|stderr> <F|P> <text>`:
/// `P` marks a partial line that the runtime split (no newline follows it), `F` a full one.
package struct CRILogRecord: Sendable, Hashable {
    package enum Stream: String, Sendable { case stdout, stderr }

    /// The timestamp exactly as the runtime wrote it, so `--timestamps` prints what is on disk.
    package var timestampText: String
    package var timestamp: Date
    package var stream: Stream
    package var partial: Bool
    package var content: [UInt8]

    package init(timestampText: String, timestamp: Date, stream: Stream, partial: Bool, content: [UInt8]) {
        self.timestampText = timestampText
        self.timestamp = timestamp
        self.stream = stream
        self.partial = partial
        self.content = content
    }

    /// Parses one line (without its newline); nil for a line that is not in the CRI format.
    package static func parse(_ line: ArraySlice<UInt8>) -> CRILogRecord? {
        let space = UInt8(ascii: " ")
        guard let first = line.firstIndex(of: space) else { return nil }
        let tsText = String(decoding: line[line.startIndex..<first], as: UTF8.self)
        guard let date = RFC3339.parse(tsText) else { return nil }
        let afterTS = line[(first + 1)...]
        guard let second = afterTS.firstIndex(of: space),
              let stream = Stream(rawValue: String(decoding: afterTS[afterTS.startIndex..<second], as: UTF8.self)) else { return nil }
        let afterStream = afterTS[(second + 1)...]
        // The tag field may carry more flags after ':' in future formats; only the first decides.
        let tagEnd = afterStream.firstIndex(of: space) ?? afterStream.endIndex
        let tag = afterStream[afterStream.startIndex..<tagEnd]
        guard let flag = tag.first, flag == UInt8(ascii: "F") || flag == UInt8(ascii: "P") else { return nil }
        let content = tagEnd < afterStream.endIndex ? Array(afterStream[(tagEnd + 1)...]) : []
        return CRILogRecord(timestampText: tsText, timestamp: date, stream: stream, partial: flag == UInt8(ascii: "P"),
                            content: content)
    }

    /// The bytes `kubectl logs` shows for this record: a full line gets its newline back.
    package func rendered(timestamps: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count + (timestamps ? timestampText.utf8.count + 2 : 1))
        if timestamps {
            out.append(contentsOf: timestampText.utf8)
            out.append(UInt8(ascii: " "))
        }
        out.append(contentsOf: content)
        if !partial { out.append(UInt8(ascii: "\n")) }
        return out
    }
}

/// RFC 3339 timestamps with optional fractional seconds (up to nanoseconds) and a zone offset.
package enum RFC3339 {
    package static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for b in bytes[range] {
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0..<4), bytes[4] == 45, let month = number(5..<7), bytes[7] == 45,
              let day = number(8..<10), bytes[10] == 84 || bytes[10] == 116, let hour = number(11..<13), bytes[13] == 58,
              let minute = number(14..<16), bytes[16] == 58, let second = number(17..<19) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case 90, 122:
            guard index + 1 == bytes.count else { return nil }
        case 43, 45:
            guard index + 6 == bytes.count, let h = number(index + 1..<index + 3), bytes[index + 3] == 58,
                  let m = number(index + 4..<index + 6) else { return nil }
            offset = (h * 60 + m) * 60 * (bytes[index] == 45 ? -1 : 1)
        default:
            return nil
        }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let whole = calendar.date(from: components) else { return nil }
        return whole.addingTimeInterval(fraction - Double(offset))
    }
}
