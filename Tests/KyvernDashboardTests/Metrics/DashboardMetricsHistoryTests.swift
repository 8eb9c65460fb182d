import Testing
@testable import KyvernDashboard

@Suite struct DashboardMetricsHistoryTests {
    func sample(_ t: Int64, cpu: Int64 = 1) -> MetricsSample { MetricsSample(time: t, cpuNanocores: cpu, memoryBytes: 2) }

    @Test func anHourAtFifteenSecondsIs240SamplesPerSeries() async {
        let history = DashboardMetricsHistory(interval: .seconds(15), window: .seconds(3600))
        #expect(await history.capacity == 240)
        for i in 0..<300 {
            let t = Int64(i) * 15_000
            await history.record([.pod(namespace: "a", name: "p"): sample(t)], at: t)
        }
        let series = await history.series(.pod(namespace: "a", name: "p"))
        #expect(series.count == 240)
        #expect(series.first?.time == Int64(60 * 15_000))
        #expect(series.last?.time == Int64(299 * 15_000))
    }

    @Test func aSeriesUnseenForTheWholeWindowIsForgotten() async {
        let history = DashboardMetricsHistory(interval: .seconds(15), window: .seconds(60))
        await history.record([.pod(namespace: "a", name: "gone"): sample(0), .node("n1"): sample(0)], at: 0)
        await history.record([.node("n1"): sample(30_000)], at: 30_000)
        #expect(await history.series(.pod(namespace: "a", name: "gone")).count == 1)
        await history.record([.node("n1"): sample(61_000)], at: 61_000)
        #expect(await history.series(.pod(namespace: "a", name: "gone")).isEmpty)
        #expect(await history.series(.node("n1")).map(\.time) == [0, 30_000, 61_000])
    }

    @Test func atMostMaxSeriesAreKeptTheStalestDroppedFirst() async {
        let history = DashboardMetricsHistory(interval: .seconds(15), window: .seconds(3600), maxSeries: 2)
        await history.record([.node("old"): sample(1)], at: 1)
        await history.record([.node("mid"): sample(2)], at: 2)
        await history.record([.node("new"): sample(3)], at: 3)
        #expect(await history.seriesCount == 2)
        #expect(await history.series(.node("old")).isEmpty)
        #expect(Set(await history.latestNodes().keys) == ["mid", "new"])
    }

    @Test func latestNodesAreTheNewestSampleOfNodesOnly() async {
        let history = DashboardMetricsHistory()
        await history.record([.node("n1"): sample(1, cpu: 5), .pod(namespace: "a", name: "p"): sample(1)], at: 1)
        await history.record([.node("n1"): sample(2, cpu: 7)], at: 2)
        #expect(await history.latestNodes() == ["n1": sample(2, cpu: 7)])
    }
}
