import Foundation
import Testing
@testable import KyvernKubelet

@Suite struct CRILogReaderTests {
    static let file = """
    2026-11-26T10:00:00.000000001Z stdout F one
    2026-11-26T10:00:01.5Z stderr F two
    2026-11-26T10:00:02Z stdout P par
    2026-11-26T10:00:02.1Z stdout F tial
    not a cri line
    2026-11-26T10:00:03+01:00 stdout F three

    """

    func read(_ options: LogOptions, _ text: String = file) -> String {
        var reader = CRILogReader(options: options)
        return String(decoding: reader.initial(Array(text.utf8)), as: UTF8.self)
    }

    @Test func parsesRecords() throws {
        let record = try #require(CRILogRecord.parse(Array("2026-11-26T10:00:01.5Z stderr F two words".utf8)[...]))
        #expect(record.stream == .stderr)
        #expect(!record.partial)
        #expect(String(decoding: record.content, as: UTF8.self) == "two words")
        let whole = try #require(RFC3339.parse("2026-11-26T10:00:01Z"))
        #expect(record.timestamp == whole.addingTimeInterval(0.5))
        #expect(CRILogRecord.parse(Array("garbage".utf8)[...]) == nil)
        #expect(RFC3339.parse("2026-11-26T10:00:03+01:00") == RFC3339.parse("2026-11-26T09:00:03Z"))
    }

    @Test func fullAndPartialLines() {
        #expect(read(LogOptions()) == "one\ntwo\npartial\nthree\n")
    }

    @Test func timestampsAsWritten() {
        let out = read(LogOptions(timestamps: true))
        #expect(out.hasPrefix("2026-11-26T10:00:00.000000001Z one\n2026-11-26T10:00:01.5Z two\n"))
    }

    @Test func tailCountsRecords() {
        #expect(read(LogOptions(tailLines: 2)) == "tial\nthree\n")
        #expect(read(LogOptions(tailLines: 0)) == "")
    }

    @Test func sinceDropsOlderRecords() throws {
        let since = try #require(RFC3339.parse("2026-11-26T10:00:01Z"))
        #expect(read(LogOptions(since: since)) == "two\npartial\n")
    }

    @Test func limitBytesCutsAcrossReads() {
        var reader = CRILogReader(options: LogOptions(limitBytes: 6))
        #expect(String(decoding: reader.initial(Array("2026-11-26T10:00:00Z stdout F one\n".utf8)), as: UTF8.self) == "one\n")
        #expect(!reader.exhausted)
        #expect(String(decoding: reader.appended(Array("2026-11-26T10:00:01Z stdout F two\n".utf8)), as: UTF8.self) == "tw")
        #expect(reader.exhausted)
    }

    @Test func followJoinsSplitWrites() {
        var reader = CRILogReader(options: LogOptions())
        #expect(reader.appended(Array("2026-11-26T10:00:00Z stdout F hal".utf8)).isEmpty)
        #expect(String(decoding: reader.appended(Array("f\n".utf8)), as: UTF8.self) == "half\n")
    }

    @Test func optionsFromQuery() throws {
        let now = Date(timeIntervalSince1970: 1000)
        let options = try LogOptions(query: ["follow": "true", "tailLines": "5", "sinceSeconds": "10", "limitBytes": "3",
                                             "timestamps": "1"], now: now)
        #expect(options == LogOptions(follow: true, tailLines: 5, since: Date(timeIntervalSince1970: 990), timestamps: true, limitBytes: 3))
        #expect(throws: LogOptionsError.invalid("limitBytes", "0")) { try LogOptions(query: ["limitBytes": "0"]) }
    }
}
