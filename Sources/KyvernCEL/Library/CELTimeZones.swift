import Foundation

/// IANA zone offsets come from the system's tz database through Foundation.
enum CELTimeZones {
    static func offset(_ name: String, _ seconds: Int64) -> Int64? {
        guard let zone = TimeZone(identifier: name) else { return nil }
        return Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
    }
}
