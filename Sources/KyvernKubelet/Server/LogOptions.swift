package import Foundation

/// The query of `/containerLogs/{ns}/{pod}/{container}`, as the API server passes
/// `PodLogOptions` on: follow, previous, tailLines, sinceSeconds, sinceTime, timestamps, limitBytes.
package struct LogOptions: Sendable, Hashable {
    package var follow = false
    package var previous = false
    package var tailLines: Int?
    /// The earliest record to show (from sinceSeconds or sinceTime).
    package var since: Date?
    package var timestamps = false
    package var limitBytes: Int?

    package init(follow: Bool = false, previous: Bool = false, tailLines: Int? = nil, since: Date? = nil,
                 timestamps: Bool = false, limitBytes: Int? = nil) {
        self.follow = follow
        self.previous = previous
        self.tailLines = tailLines
        self.since = since
        self.timestamps = timestamps
        self.limitBytes = limitBytes
    }

    /// Reads the options from query items; `now` anchors sinceSeconds.
    package init(query: [String: String], now: Date = Date()) throws(LogOptionsError) {
        func flag(_ name: String) -> Bool {
            guard let value = query[name] else { return false }
            return value == "true" || value == "1" || value.isEmpty
        }
        follow = flag("follow")
        previous = flag("previous")
        timestamps = flag("timestamps")
        if let text = query["tailLines"] {
            guard let n = Int(text) else { throw .invalid("tailLines", text) }
            tailLines = max(0, n)
        }
        if let text = query["limitBytes"] {
            guard let n = Int(text), n > 0 else { throw .invalid("limitBytes", text) }
            limitBytes = n
        }
        if let text = query["sinceSeconds"] {
            guard let n = Int(text), n > 0 else { throw .invalid("sinceSeconds", text) }
            since = now.addingTimeInterval(-Double(n))
        } else if let text = query["sinceTime"] {
            guard let date = RFC3339.parse(text) else { throw .invalid("sinceTime", text) }
            since = date
        }
    }
}

package enum LogOptionsError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String, String)

    package var description: String {
        switch self {
        case .invalid(let name, let value): "invalid value \"\(value)\" for \(name)"
        }
    }
}
