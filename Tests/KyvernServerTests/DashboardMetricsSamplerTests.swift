import KyvernAPI
import KyvernDashboard
import Testing
@testable import KyvernServer

@Suite struct DashboardMetricsSamplerTests {
    @Test func aUsageIsReadAsNanocoresAndBytes() throws {
        let usage: JSONValue = ["cpu": "12345n", "memory": "2048Ki"]
        let sample = try #require(DashboardMetricsSampler.sample(usage, at: 7))
        #expect(sample.time == 7)
        #expect(sample.cpuNanocores == 12345)
        #expect(sample.memoryBytes == 2048 * 1024)
        let milli = try #require(DashboardMetricsSampler.sample(["cpu": "250m", "memory": "1Mi"], at: 0))
        #expect(milli.cpuNanocores == 250_000_000)
        #expect(milli.memoryBytes == 1 << 20)
    }

    @Test func aUsageWithoutBothFiguresIsNoSample() {
        #expect(DashboardMetricsSampler.sample(["cpu": "1m"], at: 0) == nil)
        #expect(DashboardMetricsSampler.sample(["cpu": "x", "memory": "1Ki"], at: 0) == nil)
        #expect(DashboardMetricsSampler.sample(nil, at: 0) == nil)
    }

    @Test func theIntervalIsFifteenSecondsUnlessTheEnvironmentSaysOtherwise() {
        #expect(DashboardMetricsSampler.interval(environment: [:]) == .seconds(15))
        #expect(DashboardMetricsSampler.interval(environment: ["KYVERN_DASHBOARD_METRICS_INTERVAL": "3"]) == .seconds(3))
        #expect(DashboardMetricsSampler.interval(environment: ["KYVERN_DASHBOARD_METRICS_INTERVAL": "0"]) == .seconds(15))
    }
}
