import Testing
@testable import KyvernDashboard

@Suite struct MetricsRingTests {
    func sample(_ t: Int64) -> MetricsSample { MetricsSample(time: t, cpuNanocores: t * 10, memoryBytes: t * 100) }

    @Test func keepsTheNewestSamplesOldestFirstOnceFull() {
        var ring = MetricsRing(capacity: 3)
        #expect(ring.samples.isEmpty)
        #expect(ring.latest == nil)
        for t: Int64 in 1...2 { ring.append(sample(t)) }
        #expect(ring.samples.map(\.time) == [1, 2])
        for t: Int64 in 3...7 { ring.append(sample(t)) }
        #expect(ring.samples.map(\.time) == [5, 6, 7])
        #expect(ring.latest == sample(7))
    }
}
