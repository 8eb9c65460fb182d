package import Foundation

/// A wall-clock instant as audit events write it: RFC 3339 in UTC with microseconds
/// (`2026-11-27T10:30:00.123456Z`), upstream's `MicroTime`.
package struct AuditTimestamp: Sendable, Hashable {
    /// Microseconds since 1970.
    package var microseconds: Int64

    package init(_ date: Date = Date()) {
        microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    package var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    package var rfc3339Micro: String {
        let parts = Self.utc(seconds: microseconds.quotientAndRemainderFlooring(1_000_000))
        return parts.text + "." + Self.pad(parts.fraction, 6) + "Z"
    }

    /// `2026-11-27T10-30-00.000`, the backup-file stamp of a rotated log (lumberjack's format).
    package var backupStamp: String {
        let parts = Self.utc(seconds: microseconds.quotientAndRemainderFlooring(1_000_000))
        return parts.text.replacingOccurrences(of: ":", with: "-") + "." + Self.pad(parts.fraction / 1000, 3)
    }

    /// Reads a backup-file stamp back, for pruning by age.
    package static func parseBackupStamp(_ text: String) -> AuditTimestamp? {
        let pieces = text.split(whereSeparator: { "-T.".contains($0) }).map { Int($0) }
        guard pieces.count == 7, pieces.allSatisfy({ $0 != nil }) else { return nil }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        (components.year, components.month, components.day) = (pieces[0], pieces[1], pieces[2])
        (components.hour, components.minute, components.second) = (pieces[3], pieces[4], pieces[5])
        components.nanosecond = (pieces[6] ?? 0) * 1_000_000
        guard let date = components.date else { return nil }
        return AuditTimestamp(date)
    }

    private static func utc(seconds: (quotient: Int64, remainder: Int64)) -> (text: String, fraction: Int64) {
        var time = time_t(seconds.quotient)
        var parts = tm()
        gmtime_r(&time, &parts)
        let text = "\(pad(Int64(parts.tm_year) + 1900, 4))-\(pad(Int64(parts.tm_mon) + 1, 2))-\(pad(Int64(parts.tm_mday), 2))"
            + "T\(pad(Int64(parts.tm_hour), 2)):\(pad(Int64(parts.tm_min), 2)):\(pad(Int64(parts.tm_sec), 2))"
        return (text, seconds.remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension Int64 {
    fileprivate func quotientAndRemainderFlooring(_ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var (q, r) = quotientAndRemainder(dividingBy: divisor)
        if r < 0 { q -= 1; r += divisor }
        return (q, r)
    }
}
