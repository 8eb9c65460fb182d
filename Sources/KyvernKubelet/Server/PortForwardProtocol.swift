import Foundation

/// Port-forwarding over WebSocket as upstream's kubelet offers it (`portforward.k8s.io`): for the
/// i-th requested port, stream 2i carries data and 2i+1 errors; each stream's first message from
/// the server is the port number, two bytes little-endian.
enum PortForwardProtocol {
    static let name = "portforward.k8s.io"

    static func negotiate(offered header: String?) -> String? {
        guard let header else { return nil }
        return header.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == name } ? name : nil
    }

    static func portPrefix(_ port: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: port), UInt8(truncatingIfNeeded: port >> 8)]
    }
}
