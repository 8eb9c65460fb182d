import Foundation
import KyvernAPI

/// Which scheduled time a CronJob should run now (upstream's `mostRecentScheduleTime`).
///
/// Counting starts at the last scheduled time (else the CronJob's creation), or at
/// `now - startingDeadlineSeconds` when that is later: schedules missed while the controller was
/// down (a server restart) are caught up with once, by their most recent time only.
struct ScheduleTimes: Sendable, Equatable {
    /// The latest scheduled time not after `now` and not yet run; nil when none is due.
    var mostRecent: Date?
    /// How many schedules were missed since counting started (roughly, as upstream counts them).
    var missed: Int64

    /// Beyond this many missed schedules the controller warns (upstream's `TooManyMissedTimes`).
    static let tooManyMissed: Int64 = 100

    init(schedule: CronSchedule, cronJob: JSONValue, now: Date) throws(CronSchedule.ParseError) {
        var earliest = cronJob.creationTimestamp.flatMap(Timestamp.parse) ?? now
        if let last = cronJob[path: ["status", "lastScheduleTime"]]?.stringValue.flatMap(Timestamp.parse) {
            earliest = last
        }
        if let deadline = cronJob[path: ["spec", "startingDeadlineSeconds"]]?.intValue {
            let limit = now.addingTimeInterval(-TimeInterval(deadline))
            if limit > earliest { earliest = limit }
        }
        guard let t1 = schedule.next(after: earliest), t1 <= now else {
            (mostRecent, missed) = (nil, 0)
            return
        }
        guard let t2 = schedule.next(after: t1), t2 <= now else {
            (mostRecent, missed) = (t1, 1)
            return
        }
        let between = Int64(t2.timeIntervalSince(t1).rounded())
        guard between >= 1 else {
            throw CronSchedule.ParseError(description: "time difference between two schedules is less than 1 second")
        }
        missed = Int64(now.timeIntervalSince(t1)) / between + 1
        // Start a little before the estimated last time and walk forward to the exact one (the
        // interval of an irregular schedule such as `30 6-16/4 * * 1-5` varies).
        var t = t1.addingTimeInterval(TimeInterval((missed - 2) * between))
        if t < earliest { t = earliest }
        var latest = t1
        while let candidate = schedule.next(after: t), candidate <= now {
            latest = candidate
            t = candidate
        }
        mostRecent = latest
    }

    /// When the next schedule after `now` comes, to look again then.
    static func next(schedule: CronSchedule, after now: Date) -> Date? {
        schedule.next(after: now)
    }
}
