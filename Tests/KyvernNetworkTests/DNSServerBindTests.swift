import CoreMetrics
import Logging
import NIOCore
import Testing
@testable import KyvernNetwork
import KyvernTestSupport

@Suite struct DNSServerBindTests {
    /// When the TCP port is taken after the UDP socket was bound, the server reports the bind
    /// failure. Before, the bound UDP socket was dropped unclosed and NIO trapped the process.
    @Test func aTakenTCPPortFailsTheStartInsteadOfTrapping() async throws {
        let holder = try await DNSTCPListener.bind(host: "127.0.0.1", port: 0)
        let port = try #require(holder.localAddress?.port)
        var configuration = ClusterDNSConfiguration(listenAddresses: ["127.0.0.1"], port: port, upstreams: [])
        configuration.tcpIdleTimeout = .seconds(1)
        let server = try ClusterDNSServer(client: FakeClient(), configuration: configuration,
                                          metricsFactory: NOOPMetricsHandler.instance, logger: Logger(label: "test"))
        await #expect(throws: (any Error).self) { try await server.run() }
        await holder.close()
    }
}
