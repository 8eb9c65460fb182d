import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KyvernAPI
import Logging
import NIOCore

/// The API server's routes that reach node agents: the pods' streaming subresources and
/// `metrics.k8s.io`. ``APIResponder`` asks it first; nil means "not mine".
struct NodeProxyRoutes: Sendable {
    let pods: PodStreamingProxy
    let metrics: ResourceMetrics

    init(storage: ObjectStorage, token: String, access: RequestAccess, admission: ConnectAdmission = ConnectAdmission(),
         logger: Logger) {
        let agents = NodeAgentClient(token: token)
        var pods = PodStreamingProxy(storage: storage, agents: agents, access: access, logger: logger)
        pods.admission = admission
        self.pods = pods
        metrics = ResourceMetrics(storage: storage, agents: agents, logger: logger)
    }

    func respond(to request: Request, target: RequestTarget, user: UserInfo) async throws -> Response? {
        let query = QueryParameters(request.uri.query)
        if ResourceMetrics.handles(target) {
            let bytes = try await metrics.respond(target: target, method: request.method.rawValue, query: query)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        guard PodStreamingProxy.handles(target), let namespace = target.namespace, let name = target.name else { return nil }
        switch target.subresource {
        case "log":
            guard request.method == .get else {
                throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
            }
            return try await pods.logs(namespace: namespace, name: name, query: query)
        default:
            guard request.method == .get || request.method == .post else {
                throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
            }
            try await pods.refusal(target: target, query: query, headers: request.headers, user: user)
        }
    }

    func shouldUpgrade(_ request: HTTPRequest) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        await pods.shouldUpgrade(request)
    }
}
