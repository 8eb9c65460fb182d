import Foundation

/// A five-field cron schedule (minute hour day-of-month month day-of-week) or one of its
/// `@hourly`-style macros, read the way upstream's CronJob controller reads `spec.schedule`
/// (the standard parser of robfig/cron): ranges, steps, lists, month and weekday names, `?`.
///
/// Times are matched in `timeZone`; ``next(after:)`` is the first matching minute strictly after
/// a time, skipping whole months, days and hours that cannot match.
struct CronSchedule: Sendable, Equatable {
    struct ParseError: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    private var minutes: Set<Int>
    private var hours: Set<Int>
    private var days: Set<Int>
    private var months: Set<Int>
    private var weekdays: Set<Int>
    /// A `*` (or `?`) day field: the other day field alone decides.
    private var anyDay: Bool
    private var anyWeekday: Bool
    let timeZone: TimeZone

    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                                     "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
    private static let weekdayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    init(parsing text: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(ParseError) {
        self.timeZone = timeZone
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let spec = Self.macros[trimmed.lowercased()] ?? trimmed
        if spec.hasPrefix("@") { throw ParseError(description: "unrecognized descriptor: \(spec)") }
        let fields = spec.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(description: "expected exactly 5 fields, found \(fields.count): [\(fields.joined(separator: " "))]")
        }
        minutes = try Self.field(fields[0], 0...59, names: [:])
        hours = try Self.field(fields[1], 0...23, names: [:])
        days = try Self.field(fields[2], 1...31, names: [:])
        months = try Self.field(fields[3], 1...12, names: Self.monthNames)
        weekdays = try Self.field(fields[4], 0...6, names: Self.weekdayNames)
        anyDay = fields[2].hasPrefix("*") || fields[2].hasPrefix("?")
        anyWeekday = fields[4].hasPrefix("*") || fields[4].hasPrefix("?")
    }

    /// One field: comma-separated `*`, `?`, `n`, `a-b`, each optionally `/step`.
    private static func field(_ text: String, _ bounds: ClosedRange<Int>, names: [String: Int]) throws(ParseError) -> Set<Int> {
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(description: "too many slashes: \(part)") }
            var low: Int, high: Int
            let range = pieces[0]
            if range == "*" || range == "?" {
                (low, high) = (bounds.lowerBound, bounds.upperBound)
            } else {
                let ends = range.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2 else { throw ParseError(description: "too many hyphens: \(part)") }
                low = try value(String(ends[0]), names: names)
                high = ends.count == 2 ? try value(String(ends[1]), names: names) : low
                if ends.count == 1 && pieces.count == 2 { high = bounds.upperBound }
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else {
                    throw ParseError(description: "failed to parse int from \(pieces[1])")
                }
                step = parsed
            }
            guard low >= bounds.lowerBound else {
                throw ParseError(description: "beginning of range (\(low)) below minimum (\(bounds.lowerBound)): \(part)")
            }
            guard high <= bounds.upperBound else {
                throw ParseError(description: "end of range (\(high)) above maximum (\(bounds.upperBound)): \(part)")
            }
            guard low <= high else {
                throw ParseError(description: "beginning of range (\(low)) beyond end of range (\(high)): \(part)")
            }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }

    private static func value(_ text: String, names: [String: Int]) throws(ParseError) -> Int {
        if let named = names[text.lowercased()] { return named }
        guard let number = Int(text), number >= 0 else {
            throw ParseError(description: "failed to parse int from \(text)")
        }
        return number
    }

    /// The first matching minute strictly after `date`; nil when none within five years (a
    /// schedule such as `0 0 30 2 *` never matches).
    func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Start at the next whole minute.
        let seconds = floor(date.timeIntervalSince1970 / 60) * 60 + 60
        var t = Date(timeIntervalSince1970: seconds)
        let limit = calendar.date(byAdding: .year, value: 5, to: t)!
        while t <= limit {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            if !months.contains(c.month!) {
                let start = calendar.date(from: DateComponents(year: c.year, month: c.month, day: 1))!
                t = calendar.date(byAdding: .month, value: 1, to: start)!
                continue
            }
            if !dayMatches(day: c.day!, weekday: c.weekday! - 1) {
                let start = calendar.startOfDay(for: t)
                t = calendar.date(byAdding: .day, value: 1, to: start)!
                continue
            }
            if !hours.contains(c.hour!) {
                let start = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day, hour: c.hour))!
                t = calendar.date(byAdding: .hour, value: 1, to: start)!
                continue
            }
            if !minutes.contains(c.minute!) {
                t = t.addingTimeInterval(60)
                continue
            }
            return t
        }
        return nil
    }

    /// Both day fields restricted: either may match (cron's rule); otherwise both must.
    private func dayMatches(day: Int, weekday: Int) -> Bool {
        let dayOK = days.contains(day), weekdayOK = weekdays.contains(weekday)
        if anyDay || anyWeekday { return dayOK && weekdayOK }
        return dayOK || weekdayOK
    }
}
