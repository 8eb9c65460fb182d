import Foundation
import KyvernRuntime
import Logging

/// What the HTTP and WebSocket sides share: the runtime, the container lookup, the caller check.
struct KubeletEndpoint: Sendable {
    let runtime: any ContainerRuntime
    let lookup: any ContainerLookup
    let token: String
    let nodeName: String
    let sampler: UsageSampler
    let logger: Logger

    /// Constant-time comparison of the presented bearer token.
    func authorized(_ header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let presented = Array(header.utf8.dropFirst(7))
        let expected = Array(token.utf8)
        guard presented.count == expected.count, !expected.isEmpty else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(presented, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// The runtime id of a pod's container (`previous`: the attempt before the current one).
    func containerID(namespace: String, pod: String, container: String, previous: Bool = false) async throws(EndpointError) -> String {
        guard let entry = await lookup.pod(namespace: namespace, name: pod) else {
            throw .notFound("pod \"\(pod)\" not found on node \(nodeName)")
        }
        guard let attempts = entry.containers[container] else {
            throw .notFound("container \"\(container)\" not found in pod \"\(pod)\"")
        }
        if previous {
            guard let id = attempts.previous else {
                throw .badRequest("previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
            }
            return id
        }
        guard let id = attempts.current else {
            throw .badRequest("container \"\(container)\" in pod \"\(pod)\" is waiting to start")
        }
        return id
    }

    func sandboxID(namespace: String, pod: String) async throws(EndpointError) -> String {
        guard let entry = await lookup.pod(namespace: namespace, name: pod), let id = entry.sandboxID else {
            throw .notFound("pod \"\(pod)\" not found on node \(nodeName)")
        }
        return id
    }
}

/// A request the endpoint refuses, with the HTTP status it answers.
enum EndpointError: Error, Sendable, Hashable {
    case notFound(String)
    case badRequest(String)
    case unauthorized
    case internalError(String)

    var code: Int {
        switch self {
        case .notFound: 404
        case .badRequest: 400
        case .unauthorized: 401
        case .internalError: 500
        }
    }

    var message: String {
        switch self {
        case .notFound(let m), .badRequest(let m), .internalError(let m): m
        case .unauthorized: "Unauthorized"
        }
    }
}
