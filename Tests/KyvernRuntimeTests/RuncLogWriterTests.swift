import Foundation
import Testing
@testable import KyvernRuntime

@Suite struct RuncLogWriterTests {
    final class Sink: @unchecked Sendable {
        var text = ""
    }

    let time = timespec(tv_sec: 1_795_712_400, tv_nsec: 1_234_500)

    @Test func timestampHasNineFractionDigits() {
        #expect(CRILogWriter.timestamp(time) == "2026-11-26T17:00:00.001234500Z")
    }

    @Test func completeLinesAreFullAndPiecesWait() {
        let sink = Sink()
        var writer = CRILogWriter { sink.text += String(decoding: $0, as: UTF8.self) }
        writer.append(Array("hello\nwor".utf8), from: .stdout, at: time)
        #expect(sink.text == "2026-11-26T17:00:00.001234500Z stdout F hello\n")
        writer.append(Array("ld\n".utf8), from: .stdout, at: time)
        writer.append(Array("oops".utf8), from: .stderr, at: time)
        writer.finish(.stderr, at: time)
        #expect(sink.text.split(separator: "\n").map(String.init) == [
            "2026-11-26T17:00:00.001234500Z stdout F hello",
            "2026-11-26T17:00:00.001234500Z stdout F world",
            "2026-11-26T17:00:00.001234500Z stderr F oops",
        ])
    }

    @Test func longLinesSplitIntoPartials() {
        let sink = Sink()
        var writer = CRILogWriter(maximumLineLength: 4) { sink.text += String(decoding: $0, as: UTF8.self) }
        writer.append(Array("abcdefghij\n".utf8), from: .stdout, at: time)
        writer.append(Array("klmnop".utf8), from: .stdout, at: time)
        writer.finish(.stdout, at: time)
        #expect(sink.text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1)[1] } == [
            "stdout P abcd", "stdout P efgh", "stdout F ij", "stdout P klmn", "stdout F op",
        ])
    }
}
