import Foundation
import HTTPTypes
import Hummingbird
import KyvernRuntime
import NIOCore

/// The endpoint's plain HTTP paths; exec, attach and port-forward arrive as WebSocket upgrades
/// (``StreamSessions``) and get here only when the upgrade was refused.
struct KubeletResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let endpoint: KubeletEndpoint

    func respond(to request: Request, context: Context) async throws -> Response {
        let segments = request.uri.path.split(separator: "/").map(String.init)
        if segments == ["healthz"] { return Self.text("ok") }
        guard endpoint.authorized(request.headers[.authorization]) else { return Self.error(.unauthorized) }
        do {
            switch segments.first {
            case "containerLogs" where segments.count == 4 && request.method == .get:
                return try await logs(namespace: segments[1], pod: segments[2], container: segments[3],
                                      query: Self.query(request.uri.query))
            case "stats" where segments == ["stats", "summary"]:
                let summary = try await StatsSummary.collect(endpoint: endpoint)
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(bytes: summary)))
            case "exec", "attach", "portForward":
                if let failure = await StreamSessions(endpoint: endpoint).refusal(request.head) { return Self.error(failure) }
                return Self.error(.badRequest("Upgrade request required"))
            default:
                return Self.error(.notFound("404 page not found"))
            }
        } catch let error as EndpointError {
            return Self.error(error)
        }
    }

    private func logs(namespace: String, pod: String, container: String, query: [String: String]) async throws -> Response {
        let options: LogOptions
        do { options = try LogOptions(query: query) } catch { throw EndpointError.badRequest(error.description) }
        let id = try await endpoint.containerID(namespace: namespace, pod: pod, container: container, previous: options.previous)
        let status: ContainerStatus
        do { status = try await endpoint.runtime.containerStatus(id: id) } catch {
            throw EndpointError.notFound("container \"\(container)\" not found in pod \"\(pod)\"")
        }
        let follower = LogFollower(path: status.logPath, options: options, containerID: id, runtime: endpoint.runtime)
        let body = ResponseBody { writer in
            try await follower.run { bytes in try await writer.write(ByteBuffer(bytes: bytes)) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }

    static func query(_ text: String?) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in queryItems(text) where result[name] == nil { result[name] = value }
        return result
    }

    static func queryItems(_ text: String?) -> [(String, String)] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Errors as a `Status` object, which the API server relays to the client unchanged.
    static func error(_ error: EndpointError) -> Response {
        let reason = switch error.code {
        case 404: "NotFound"
        case 400: "BadRequest"
        case 401: "Unauthorized"
        default: "InternalError"
        }
        let object: [String: Any] = [
            "kind": "Status", "apiVersion": "v1", "metadata": [String: String](), "status": "Failure",
            "message": error.message, "reason": reason, "code": error.code,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: .init(code: error.code), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
}
