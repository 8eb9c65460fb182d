#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import Testing

@testable import KyvernNetwork

/// The proxy's fast connect: an endpoint that finishes the handshake within `connect` comes back
/// connected; one refusing fails at once; one whose handshake does not finish (its SYN dropped, as
/// for an endpoint on another node) goes the usual way, and after a few such misses is not tried
/// the fast way for a while (each miss abandons a handshake the endpoint started).
@Suite("Ingress proxy: connecting to endpoints within the call")
struct UpstreamConnectorTests {
    /// A listening socket on 127.0.0.1 that never accepts (its queue has room); closed with the value.
    final class Listener {
        let port: Int
        private let descriptor: CInt

        init() throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let descriptor = self.descriptor
            try withUnsafeMutablePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    guard bind(descriptor, raw, length) == 0, listen(descriptor, 16) == 0,
                          getsockname(descriptor, raw, &length) == 0 else { throw POSIXError(.EADDRINUSE) }
                }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(descriptor) }
    }

    static func address(_ port: Int) throws -> SocketAddress { try SocketAddress(ipAddress: "127.0.0.1", port: port) }

    /// Whether the descriptor is a connected socket to `port`.
    static func peerPort(_ descriptor: CInt) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        return result == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    @Test func aListeningEndpointIsConnectedWithinTheCall() throws {
        let listener = try Listener()
        let connector = UpstreamConnector()
        guard case .connected(let descriptor) = connector.connect(try Self.address(listener.port), ip: "127.0.0.1",
                                                                  port: listener.port) else {
            Issue.record("not connected within the call")
            return
        }
        defer { close(descriptor) }
        #expect(Self.peerPort(descriptor) == listener.port)
        #expect(!connector.skips(ip: "127.0.0.1", port: listener.port))
    }

    @Test func aClosedPortFailsAtOnceWithConnectionRefused() throws {
        let port = try Listener().port   // closed again when the listener goes
        let connector = UpstreamConnector()
        guard case .failed(let error) = connector.connect(try Self.address(port), ip: "127.0.0.1", port: port) else {
            Issue.record("a closed port did not fail")
            return
        }
        #expect(error.errnoCode == ECONNREFUSED)
    }

    @Test func anEndpointThatKeepsMissingIsConnectedTheUsualWayForAWhile() throws {
        let full = try IngressHedgedConnectTests.FullListener()
        let connector = UpstreamConnector()
        let address = try Self.address(full.port)
        for attempt in 1...UpstreamConnector.missesToSkip {
            guard case .usual = connector.connect(address, ip: "127.0.0.1", port: full.port) else {
                Issue.record("attempt \(attempt) to a full accept queue did not go the usual way")
                return
            }
        }
        #expect(connector.skips(ip: "127.0.0.1", port: full.port))
        // after the skipped attempts the fast way is tried again
        for _ in 0..<UpstreamConnector.skipRun {
            guard case .usual = connector.connect(address, ip: "127.0.0.1", port: full.port) else {
                Issue.record("a skipped attempt did not go the usual way")
                return
            }
        }
        #expect(!connector.skips(ip: "127.0.0.1", port: full.port))
        // another endpoint is not affected
        let listener = try Listener()
        if case .connected(let descriptor) = connector.connect(try Self.address(listener.port), ip: "127.0.0.1", port: listener.port) {
            close(descriptor)
        } else {
            Issue.record("a listening endpoint was not connected")
        }
    }
}
