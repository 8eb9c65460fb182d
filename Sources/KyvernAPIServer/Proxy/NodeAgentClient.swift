import AsyncHTTPClient
import Foundation
import KyvernAPI
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTPS to the node agents with the shared token. Agent certificates are not verified (as
/// upstream without `--kubelet-certificate-authority`); the token authenticates this side only.
package struct NodeAgentClient: Sendable {
    package let token: String
    let http: HTTPClient

    package init(token: String) {
        self.token = token
        self.http = Self.shared
    }

    /// One client for the process, never shut down (it lives as long as the server).
    private static let shared: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static var insecureTLS: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }

    /// A GET whose body streams; a non-200 answer becomes the agent's `Status` (or a 500).
    func get(_ url: String, timeout: TimeAmount = .hours(24)) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw APIError.internalError("error dialing backend: \(error)")
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Self.error(status: Int(response.status.code), body: Array(buffer: body))
        }
        return response
    }

    /// The agent's `Status` passed on; anything else as an internal error.
    static func error(status: Int, body: [UInt8]) -> APIError {
        if let object = try? JSONValue.parse(body), object[path: ["kind"]]?.stringValue == "Status",
           let message = object[path: ["message"]]?.stringValue {
            let code = Int(object[path: ["code"]]?.intValue ?? Int64(status))
            return APIError(code: code, reason: object[path: ["reason"]]?.stringValue ?? "InternalError", message: message)
        }
        return APIError.internalError(String(decoding: body, as: UTF8.self))
    }
}
