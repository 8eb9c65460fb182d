import Foundation
import Synchronization
import Testing
@testable import KyvernDashboard

@Suite struct DashboardMetricsRoutesTests {
    struct Forbidden: Error { var path: String }

    /// The API paths a request's admission was asked about.
    final class Asked: Sendable {
        private let paths = Mutex<[String]>([])
        func append(_ path: String) { paths.withLock { $0.append(path) } }
        var all: [String] { paths.withLock { $0 } }
    }

    /// A request whose admission allows only `allowed` API paths and records what it was asked.
    func request(_ path: String, allowed: Set<String>, asked: Asked) -> DashboardRoutes.Request {
        DashboardRoutes.Request(method: "GET", segments: path.split(separator: "/").map(String.init),
                                user: { throw Refused() },
                                admitGet: { apiPath in
                                    asked.append(apiPath)
                                    if !allowed.contains(apiPath) { throw Forbidden(path: apiPath) }
                                })
    }

    func routes() async -> DashboardRoutes {
        let history = DashboardMetricsHistory(interval: .seconds(15))
        let s = MetricsSample(time: 1000, cpuNanocores: 2_500_000, memoryBytes: 4096)
        await history.record([.node("n1"): s, .pod(namespace: "team", name: "web-1"): s], at: 1000)
        return DashboardRoutes(sessions: DashboardSessions(), history: history)
    }

    func json(_ response: DashboardRoutes.Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func aPodsSeriesIsServedToWhoMayGetItsMetricsNow() async throws {
        let asked = Asked()
        let path = "/apis/metrics.k8s.io/v1beta1/namespaces/team/pods/web-1"
        let response = try await routes().respond(request("metrics/namespaces/team/pods/web-1", allowed: [path], asked: asked))
        #expect(asked.all == [path])
        #expect(response.status == 200)
        let body = try json(response)
        #expect(body["intervalSeconds"] as? Int == 15)
        let samples = try #require(body["samples"] as? [[String: Any]])
        #expect(samples.count == 1)
        #expect(samples[0]["cpu"] as? Int == 2_500_000)
        #expect(samples[0]["memory"] as? Int == 4096)
        #expect(samples[0]["t"] as? Int == 1000)
    }

    @Test func theAPIsRefusalIsPassedOnAndNothingIsServed() async throws {
        let asked = Asked()
        await #expect(throws: Forbidden.self) {
            _ = try await routes().respond(request("metrics/nodes/n1", allowed: [], asked: asked))
        }
        #expect(asked.all == ["/apis/metrics.k8s.io/v1beta1/nodes/n1"])
        await #expect(throws: Forbidden.self) {
            _ = try await routes().respond(request("metrics/nodes", allowed: [], asked: asked))
        }
    }

    @Test func theNodesLatestUseIsCheckedAsListingNodeMetrics() async throws {
        let asked = Asked()
        let response = try await routes().respond(request("metrics/nodes", allowed: ["/apis/metrics.k8s.io/v1beta1/nodes"], asked: asked))
        let items = try #require(try json(response)["items"] as? [[String: Any]])
        #expect(items.map { $0["name"] as? String } == ["n1"])
    }

    @Test func aNameThatIsNotASegmentCannotReachAnotherPath() async throws {
        let asked = Asked()
        _ = try? await routes().respond(request("metrics/namespaces/team/pods/a%2F..", allowed: [], asked: asked))
        #expect(asked.all.allSatisfy { !$0.contains("/..") })
        let unknown = try await routes().respond(request("metrics/secrets", allowed: [], asked: asked))
        #expect(unknown.status == 404)
    }

    @Test func withoutAHistoryThereAreNoCharts() async throws {
        let routes = DashboardRoutes(sessions: DashboardSessions())
        let response = try await routes.respond(request("metrics/nodes", allowed: [], asked: Asked()))
        #expect(response.status == 404)
    }
}
