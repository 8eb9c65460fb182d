import HTTPTypes
import Hummingbird

/// What the `--dashboard-port` listener answers: the same responder as the API port, so the page's
/// calls to `/api`, `/apis`, `/openapi` and its WebSocket upgrades stay same-origin and are
/// authenticated and authorized exactly as on the API port (no proxy hop, no second identity, no
/// CORS to open on the API); only `/` leads to the page.
struct DashboardListenerResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let api: APIResponder

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.uri.path == "/" || request.uri.path.isEmpty else {
            return try await api.respond(to: request, context: context)
        }
        var headers = HTTPFields()
        headers[.location] = "/dashboard/"
        return Response(status: .found, headers: headers)
    }
}
