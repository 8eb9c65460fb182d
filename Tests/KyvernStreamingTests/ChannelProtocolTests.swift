import Foundation
import KyvernAPI
import Testing
@testable import KyvernKubelet

@Suite struct ChannelProtocolTests {
    @Test func negotiatesInClientOrder() {
        #expect(ChannelProtocol.negotiate(offered: "v5.channel.k8s.io, v4.channel.k8s.io") == .v5)
        #expect(ChannelProtocol.negotiate(offered: "bogus,v4.channel.k8s.io") == .v4)
        #expect(ChannelProtocol.negotiate(offered: "SPDY/3.1+portforward.k8s.io") == nil)
        #expect(ChannelProtocol.negotiate(offered: nil) == nil)
    }

    @Test func framing() throws {
        #expect(ChannelProtocol.frame(1, Array("hi".utf8)) == [1, 104, 105])
        let (stream, payload) = try #require(ChannelProtocol.split([255, 0]))
        #expect(stream == ChannelProtocol.close)
        #expect(Array(payload) == [0])
        #expect(ChannelProtocol.split([]) == nil)
        let size = try #require(ChannelProtocol.terminalSize(Array(#"{"Width":120,"Height":40}"#.utf8)[...]))
        #expect(size.width == 120 && size.height == 40)
    }

    @Test func exitStatusAsUpstream() throws {
        let success = try JSONValue.parse(ChannelProtocol.v5.errorPayload(exitCode: 0))
        #expect(success == ["metadata": [:], "status": "Success"])
        let failure = try JSONValue.parse(ChannelProtocol.v4.errorPayload(exitCode: 3))
        #expect(failure[path: ["reason"]] == "NonZeroExitCode")
        #expect(failure[path: ["message"]] == "command terminated with non-zero exit code: exit status 3")
        #expect(failure[path: ["details", "causes"]] == [["reason": "ExitCode", "message": "3"]])
        #expect(ChannelProtocol.v1.errorPayload(exitCode: 0).isEmpty)
    }

    @Test func nodeUsageFromProc() throws {
        let usage = try #require(NodeUsage.parse(stat: "cpu  100 0 50 1000 5 0 0 0 0 0\ncpu0 1 2 3\n",
                                                 meminfo: "MemTotal: 1000 kB\nMemFree: 200 kB\nMemAvailable: 600 kB\n"))
        #expect(usage.cpuNanoseconds == 150 * 10_000_000)
        #expect(usage.memoryWorkingSetBytes == 400 * 1024)
    }

    @Test func samplerRates() async {
        let sampler = UsageSampler()
        let start = Date(timeIntervalSince1970: 0)
        #expect(await sampler.record("c", cumulative: 0, at: start) == nil)
        #expect(await sampler.record("c", cumulative: 500_000_000, at: start.addingTimeInterval(2)) == 250_000_000)
    }
}
