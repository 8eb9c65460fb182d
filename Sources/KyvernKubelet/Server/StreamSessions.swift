import Foundation
import HTTPTypes
import HummingbirdWebSocket
import KyvernRuntime
import NIOCore

/// Decides WebSocket upgrades for exec, attach and port-forward, and runs the sessions.
struct StreamSessions: Sendable {
    let endpoint: KubeletEndpoint

    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    func shouldUpgrade(_ request: HTTPRequest) async throws -> ShouldUpgradeResult<Handler> {
        guard refusalSync(request) == nil, let path = request.path, let stream = StreamRequest.parse(path: path) else {
            return .dontUpgrade
        }
        let offered = request.headerFields[values: .secWebSocketProtocol].joined(separator: ",")
        switch stream.kind {
        case .exec, .attach:
            guard let proto = ChannelProtocol.negotiate(offered: offered) else { return .dontUpgrade }
            guard let id = try? await endpoint.containerID(namespace: stream.namespace, pod: stream.pod, container: stream.container) else {
                return .dontUpgrade
            }
            let endpoint = self.endpoint
            return .upgrade([.secWebSocketProtocol: proto.rawValue]) { inbound, outbound, _ in
                try await ChannelSession(runtime: endpoint.runtime, containerID: id, request: stream, protocol: proto)
                    .run(inbound: inbound, outbound: outbound)
            }
        case .portForward:
            guard PortForwardProtocol.negotiate(offered: offered) != nil, !stream.ports.isEmpty else { return .dontUpgrade }
            guard let sandbox = try? await endpoint.sandboxID(namespace: stream.namespace, pod: stream.pod) else {
                return .dontUpgrade
            }
            let endpoint = self.endpoint
            return .upgrade([.secWebSocketProtocol: PortForwardProtocol.name]) { inbound, outbound, _ in
                try await PortForwardSession(runtime: endpoint.runtime, sandboxID: sandbox, ports: stream.ports)
                    .run(inbound: inbound, outbound: outbound)
            }
        }
    }

    private func refusalSync(_ request: HTTPRequest) -> EndpointError? {
        endpoint.authorized(request.headerFields[.authorization]) ? nil : .unauthorized
    }

    /// Why an upgrade was refused, for the plain HTTP answer.
    func refusal(_ request: HTTPRequest) async -> EndpointError? {
        if let failure = refusalSync(request) { return failure }
        guard let path = request.path, let stream = StreamRequest.parse(path: path) else { return .notFound("404 page not found") }
        do {
            switch stream.kind {
            case .exec, .attach:
                _ = try await endpoint.containerID(namespace: stream.namespace, pod: stream.pod, container: stream.container)
                if stream.kind == .exec && stream.command.isEmpty { return .badRequest("you must specify at least 1 command") }
            case .portForward:
                _ = try await endpoint.sandboxID(namespace: stream.namespace, pod: stream.pod)
                if stream.ports.isEmpty { return .badRequest("at least 1 port must be specified") }
            }
        } catch {
            return error
        }
        return nil
    }
}
