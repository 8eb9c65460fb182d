import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import HummingbirdWSClient
import KyvernAPI
import Logging
import NIOCore
import NIOWebSocket

/// `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward`: the pod's container is checked
/// here with upstream's messages, then the request is relayed to the agent of the pod's node
/// (logs as a streaming GET, the others as a WebSocket whose messages pass through unchanged).
struct PodStreamingProxy: Sendable {
    let storage: ObjectStorage
    let agents: NodeAgentClient
    let access: RequestAccess
    var admission = ConnectAdmission()
    let logger: Logger

    static let streamingSubresources: Set<String> = ["log", "exec", "attach", "portforward"]
    /// The WebSocket subprotocols relayed, in this side's order of preference.
    static let channelProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]
    /// Port-forward's WebSocket protocols: upstream's kubelet also takes `v4.channel.k8s.io` (what
    /// the official Python client offers) with the same framing, so both go to the agent as the first.
    static let portForwardProtocols = ["portforward.k8s.io", "v4.channel.k8s.io"]

    static func handles(_ target: RequestTarget) -> Bool {
        target.group.isEmpty && target.version == "v1" && target.resource == "pods" && target.name != nil
            && target.namespace != nil && streamingSubresources.contains(target.subresource ?? "")
    }

    // MARK: objects

    private func object(resource: String, namespace: String?, name: String) async throws -> JSONValue {
        guard let info = ResourceCatalog.find(group: "", version: "v1", resource: resource) else {
            throw APIError.internalError("no \(resource) resource")
        }
        guard let cached = try await storage.read(key: StorageKeys.key(info, namespace: namespace, name: name)) else {
            throw APIError.notFound(group: "", resource: resource, name: name)
        }
        return cached.object
    }

    private func agentAddress(nodeName: String) async throws -> NodeAgentAddress {
        try NodeAgentAddress.of(node: try await object(resource: "nodes", namespace: nil, name: nodeName))
    }

    // MARK: logs

    func logs(namespace: String, name: String, query: QueryParameters) async throws -> Response {
        let pod = try await object(resource: "pods", namespace: namespace, name: name)
        let options = try PodLogQuery(query)
        let target = try PodStreamTarget.resolve(pod: pod, container: query["container"], purpose: .logs(previous: options.previous))
        guard !target.nodeName.isEmpty else {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init())
        }
        let address = try await agentAddress(nodeName: target.nodeName)
        let url = "\(address.baseURL)/containerLogs/\(Self.escape(namespace))/\(Self.escape(name))/\(Self.escape(target.container))"
            + options.agentQuery
        let upstream = try await agents.get(url)
        let body = ResponseBody { writer in
            for try await chunk in upstream.body { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }

    // MARK: exec, attach, port-forward

    private struct Stream: Sendable {
        var url: String
        /// The agent URL without the query (port-forward over SPDY adds a port per connection).
        var path: String
        var subprotocol: String
        /// What the agent is asked to speak (the same framing under the agent's name for it).
        var agentSubprotocol: String
    }

    /// Checks a streaming request and names the agent URL it goes to; throws upstream's errors.
    private func prepare(target: RequestTarget, query: QueryParameters, offered: [String], user: UserInfo) async throws -> Stream {
        guard let namespace = target.namespace, let name = target.name, let sub = target.subresource else {
            throw APIError.badRequest("invalid streaming request")
        }
        let pod = try await object(resource: "pods", namespace: namespace, name: name)
        try await admission.admit(subresource: sub, namespace: namespace, name: name, query: query, user: user)
        var agentQuery: [(String, String)] = []
        for (param, agentParam) in [("stdin", "input"), ("stdout", "output"), ("stderr", "error"), ("tty", "tty")] where query.bool(param) == true {
            agentQuery.append((agentParam, "1"))
        }
        let path: String
        let protocols: [String]
        switch sub {
        case "portforward":
            let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
            guard !nodeName.isEmpty else { throw APIError.badRequest("pod \(name) does not have a host assigned") }
            let ports = query.all("ports").flatMap { $0.split(separator: ",").map(String.init) }
            agentQuery = ports.isEmpty ? [] : [("port", ports.joined(separator: ","))]
            let address = try await agentAddress(nodeName: nodeName)
            path = "\(address.webSocketBaseURL)/portForward/\(Self.escape(namespace))/\(Self.escape(name))"
            protocols = [PortForwardTunnel.subprotocol] + Self.portForwardProtocols
        default:
            let purpose: PodStreamTarget.Purpose = sub == "exec" ? .exec : .attach
            let resolved = try PodStreamTarget.resolve(pod: pod, container: query["container"], purpose: purpose)
            if sub == "exec" {
                let command = query.all("command")
                guard !command.isEmpty else { throw APIError.badRequest("you must specify at least 1 command") }
                agentQuery += command.map { ("command", $0) }
            }
            let address = try await agentAddress(nodeName: resolved.nodeName)
            path = "\(address.webSocketBaseURL)/\(sub)/\(Self.escape(namespace))/\(Self.escape(name))/\(Self.escape(resolved.container))"
            protocols = Self.channelProtocols
        }
        guard let chosen = offered.first(where: { protocols.contains($0) }) else {
            throw APIError.badRequest("Upgrade request required")
        }
        let queryText = agentQuery.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        let agentSubprotocol = sub == "portforward" ? Self.portForwardProtocols[0] : chosen
        return Stream(url: queryText.isEmpty ? path : "\(path)?\(queryText)", path: path, subprotocol: chosen,
                      agentSubprotocol: agentSubprotocol)
    }

    static func offeredProtocols(_ fields: HTTPFields) -> [String] {
        fields[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The upgrade decision: anything not acceptable is left to the HTTP path, which answers
    /// with the error (``refusal(target:query:headers:)``).
    func shouldUpgrade(_ request: HTTPRequest) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let fullPath = request.path else { return .dontUpgrade }
        let parts = fullPath.split(separator: "?", maxSplits: 1)
        let segments = parts.first.map { $0.split(separator: "/", omittingEmptySubsequences: true) } ?? []
        let query = QueryParameters(parts.count > 1 ? String(parts[1]) : nil)
        guard let target = RequestTarget.parse(segments), Self.handles(target), target.subresource != "log",
              let user = try? await access.admit(method: request.method.rawValue, path: String(parts.first ?? ""), target: target,
                                                 query: query, headers: request.headerFields) else { return .dontUpgrade }
        guard let stream = try? await prepare(target: target, query: query, offered: Self.offeredProtocols(request.headerFields),
                                              user: user) else {
            return .dontUpgrade
        }
        let agents = self.agents, logger = self.logger
        if stream.subprotocol == PortForwardTunnel.subprotocol {
            return .upgrade([.secWebSocketProtocol: stream.subprotocol]) { inbound, outbound, _ in
                await PortForwardTunnel.run(inbound: inbound, outbound: outbound, agentURL: stream.path, token: agents.token, logger: logger)
            }
        }
        return .upgrade([.secWebSocketProtocol: stream.subprotocol]) { inbound, outbound, _ in
            await WebSocketRelay.run(client: (inbound, outbound), agentURL: stream.url, subprotocol: stream.agentSubprotocol,
                                     token: agents.token, logger: logger)
        }
    }

    /// The answer to an exec, attach or port-forward request that did not upgrade.
    func refusal(target: RequestTarget, query: QueryParameters, headers: HTTPFields, user: UserInfo) async throws -> Never {
        _ = try await prepare(target: target, query: query, offered: Self.offeredProtocols(headers), user: user)
        throw APIError.badRequest("Upgrade request required")
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
