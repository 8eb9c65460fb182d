#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Turns a container's stdout and stderr into the CRI log format the agent's `kubectl logs` reads:
/// `<RFC 3339 time with nanoseconds> <stream> <F|P> <text>` per line, `P` marking the pieces of a
/// line longer than `maximumLineLength` (the last piece, and text left at end of stream, are `F`).
struct CRILogWriter {
    enum Stream: String, Sendable { case stdout, stderr }

    var maximumLineLength: Int
    private var pending: [Stream: [UInt8]] = [:]
    private let sink: ([UInt8]) -> Void

    init(maximumLineLength: Int = 16 * 1024, sink: @escaping ([UInt8]) -> Void) {
        self.maximumLineLength = maximumLineLength
        self.sink = sink
    }

    /// Feeds bytes read from `stream`; complete lines are written at once.
    mutating func append(_ bytes: some Collection<UInt8>, from stream: Stream, at time: timespec = Self.now()) {
        var buffer = pending[stream] ?? []
        buffer.append(contentsOf: bytes)
        var start = 0
        var output: [UInt8] = []
        while let newline = buffer[start...].firstIndex(of: 0x0A) {
            let length = newline - start
            if length > maximumLineLength {
                // Split an over-long line into partial pieces, ending with a full one.
                var pieceStart = start
                while newline - pieceStart > maximumLineLength {
                    output += Self.line(buffer[pieceStart..<(pieceStart + maximumLineLength)], stream: stream, partial: true, time: time)
                    pieceStart += maximumLineLength
                }
                output += Self.line(buffer[pieceStart..<newline], stream: stream, partial: false, time: time)
            } else {
                output += Self.line(buffer[start..<newline], stream: stream, partial: false, time: time)
            }
            start = newline + 1
        }
        while buffer.count - start >= maximumLineLength {
            output += Self.line(buffer[start..<(start + maximumLineLength)], stream: stream, partial: true, time: time)
            start += maximumLineLength
        }
        pending[stream] = Array(buffer[start...])
        if !output.isEmpty { sink(output) }
    }

    /// Writes what is left of `stream` without a newline, as a full line (the stream ended).
    mutating func finish(_ stream: Stream, at time: timespec = Self.now()) {
        guard let rest = pending[stream], !rest.isEmpty else { return }
        pending[stream] = []
        sink(Self.line(rest[...], stream: stream, partial: false, time: time))
    }

    static func line(_ content: ArraySlice<UInt8>, stream: Stream, partial: Bool, time: timespec) -> [UInt8] {
        var line = Array(timestamp(time).utf8)
        line.append(0x20)
        line += Array(stream.rawValue.utf8)
        line += partial ? Array(" P ".utf8) : Array(" F ".utf8)
        line += content
        line.append(0x0A)
        return line
    }

    /// `2026-11-26T17:00:00.123456789Z`.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let nanos = String(time.tv_nsec)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: max(0, 9 - nanos.count)) + nanos + "Z"
    }

    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }
}
