import Foundation
import KyvernAPI
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1795667951, "2026-11-26T04:39:11Z"),
        (951825600, "2000-02-29T12:00:00Z"),
        (4107542400, "2100-03-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-2208988800, "1900-01-01T00:00:00Z"),
        (253402300799, "9999-12-31T23:59:59Z"),
    ])
    func formatsSeconds(seconds: Int64, text: String) {
        #expect(Timestamp.format(secondsSince1970: seconds) == text)
        #expect(Timestamp.format(Date(timeIntervalSince1970: Double(seconds))) == text)
        #expect(Timestamp.parseMicroseconds(text) == seconds * 1_000_000)
    }

    @Test func secondsAreTruncatedAsGoDoes() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1795667951.999)) == "2026-11-26T04:39:11Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
    }

    @Test func microTime() {
        #expect(Timestamp.formatMicro(microsecondsSince1970: 1795667951_123456) == "2026-11-26T04:39:11.123456Z")
        #expect(Timestamp.formatMicro(microsecondsSince1970: 1795667951_000001) == "2026-11-26T04:39:11.000001Z")
        #expect(Timestamp.formatMicro(microsecondsSince1970: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.formatMicro(microsecondsSince1970: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp.formatMicro(Date(timeIntervalSince1970: 1795667951.123456)) == "2026-11-26T04:39:11.123456Z")
        #expect(Timestamp.formatMicro(Date(timeIntervalSince1970: 1795667951.9999996)) == "2026-11-26T04:39:12.000000Z")
    }

    @Test func parsing() throws {
        #expect(Timestamp.parseMicroseconds("2026-11-26T04:39:11.123456Z") == 1795667951_123456)
        #expect(Timestamp.parseMicroseconds("2026-11-26T04:39:11.5Z") == 1795667951_500000)
        #expect(Timestamp.parseMicroseconds("2026-11-26T04:39:11.123456789Z") == 1795667951_123456)
        #expect(Timestamp.parseMicroseconds("2026-11-26T06:39:11+02:00") == 1795667951_000000)
        #expect(Timestamp.parseMicroseconds("2026-11-25T23:09:11.25-05:30") == 1795667951_250000)
        let date = try #require(Timestamp.parse("2026-11-26T04:39:11.25Z"))
        #expect(date.timeIntervalSince1970 == 1795667951.25)
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test(arguments: [
        "", "2026-11-26", "2026-11-26T04:39:11", "2026-11-26 04:39:11Z", "2026-11-26T04:39:11z",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T04:60:00Z", "2026-11-26T04:39:60Z",
        "2026-11-26T04:39:11.Z", "2026-11-26T04:39:11Zjunk", "2026-11-26T04:39:11+0200", "2026-11-26T04:39:11+25:00",
        "2o26-11-26T04:39:11Z", "2026-11-26T04:39:11.12a3Z",
    ])
    func rejects(text: String) {
        #expect(Timestamp.parseMicroseconds(text) == nil)
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func agreesWithFoundationAcrossCenturies() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let seconds = Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator)  // 1900...2200
            let text = Timestamp.format(secondsSince1970: seconds)
            #expect(text == formatter.string(from: Date(timeIntervalSince1970: Double(seconds))))
            #expect(Timestamp.parseMicroseconds(text) == seconds * 1_000_000)
            let micros = seconds * 1_000_000 + Int64.random(in: 0..<1_000_000, using: &generator)
            #expect(Timestamp.parseMicroseconds(Timestamp.formatMicro(microsecondsSince1970: micros)) == micros)
        }
    }

    @Test func dateRoundTripsThroughMicroTime() throws {
        let now = Date()
        let back = try #require(Timestamp.parse(Timestamp.formatMicro(now)))
        #expect(abs(back.timeIntervalSince(now)) < 0.000001)
    }
}
