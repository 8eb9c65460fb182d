import CKyvernLinux
import Glibc
import NIOCore
import Synchronization

/// The fast way to an endpoint on this host: a non-blocking `connect` whose handshake the kernel
/// usually completes within the call (the endpoint's SYN-ACK crosses the veth pair and is
/// processed before the call returns). Handing NIO the connected socket saves what its own
/// connect costs per request: a wait for writability, three `epoll_ctl` changes, the address
/// look-ups and a timeout task, about a tenth of the proxy's CPU per proxied request when each
/// request needs a new connection (endpoints that close after every response).
///
/// An endpoint whose handshake keeps not finishing within the call (on another node) is connected
/// the usual way for a while: each miss abandons a started handshake, which costs the endpoint a SYN.
final class UpstreamConnector: Sendable {
    enum Outcome {
        /// Connected: the descriptor is the caller's to hand to NIO.
        case connected(CInt)
        /// Connect the usual way (handshake still under way, or this endpoint is known to be remote).
        case usual
        /// Refused or unreachable at once.
        case failed(IOError)
    }

    struct Key: Hashable {
        var ip: String
        var port: Int
    }

    struct Record {
        var misses = 0
        var skips = 0
    }

    /// Misses in a row after which an endpoint is connected the usual way for ``skipRun`` attempts.
    static let missesToSkip = 3
    static let skipRun = 64

    /// The connector the proxy's handlers share: whether an address answers within the call is a
    /// fact about the host, not about one client connection.
    static let shared = UpstreamConnector()

    private let records = Mutex<[Key: Record]>([:])

    init() {}

    func connect(_ address: SocketAddress, ip: String, port: Int) -> Outcome {
        let key = Key(ip: ip, port: port)
        // One look-up per attempt in the usual case (no record: this endpoint never missed).
        let known = records.withLock { records -> Bool? in
            guard var record = records[key] else { return nil }
            guard record.skips > 0 else { return false }
            record.skips -= 1
            records[key] = record
            return true
        }
        if known == true { return .usual }
        let result = address.withSockAddr { pointer, length in
            kyvern_tcp_connect_now(pointer, UInt32(length))
        }
        if result == -EINPROGRESS {
            noteMiss(key)
            return .usual
        }
        if known != nil {
            records.withLock { _ = $0.removeValue(forKey: key) }   // misses are counted in a row
        }
        if result >= 0 { return .connected(result) }
        return .failed(IOError(errnoCode: -result, reason: "connect"))
    }

    private func noteMiss(_ key: Key) {
        records.withLock { records in
            var record = records[key] ?? Record()
            record.misses += 1
            if record.misses >= Self.missesToSkip {
                record = Record(misses: 0, skips: Self.skipRun)
            }
            records[key] = record
        }
    }

    /// Whether the next attempt to this endpoint goes the usual way (for tests).
    func skips(ip: String, port: Int) -> Bool {
        records.withLock { ($0[Key(ip: ip, port: port)]?.skips ?? 0) > 0 }
    }
}
