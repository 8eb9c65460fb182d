import HTTPTypes
import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("Max in-flight requests")
struct InFlightLimiterTests {
    static let user = ["system:nodes", "system:authenticated"]

    static func target(_ path: String) -> RequestTarget? {
        RequestTarget.parse(path.split(separator: "/", omittingEmptySubsequences: true))
    }

    @Test("beyond the limit a request gets upstream's 429; a released slot admits again")
    func readOnlyLimit() throws {
        let limiter = InFlightLimiter(maxReadOnly: 2, maxMutating: 1)
        let pods = Self.target("/api/v1/namespaces/default/pods")
        let first = try limiter.admit(method: .get, target: pods, query: nil, groups: Self.user)
        let second = try limiter.admit(method: .get, target: pods, query: nil, groups: Self.user)
        #expect(first != nil && second != nil)
        #expect {
            try limiter.admit(method: .get, target: pods, query: nil, groups: Self.user)
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.code == 429 && error.reason == "TooManyRequests"
                && error.message == "Too many requests, please try again later." && error.details?.retryAfterSeconds == 1
        }
        #expect(limiter.inFlight.readOnly == 2)
        first?.release()
        #expect(try limiter.admit(method: .get, target: pods, query: nil, groups: Self.user) != nil)
        // Discovery and other paths outside resources count too.
        #expect(throws: APIError.self) { try limiter.admit(method: .get, target: nil, query: nil, groups: Self.user) }
    }

    @Test("mutating requests have their own pool")
    func mutatingPool() throws {
        let limiter = InFlightLimiter(maxReadOnly: 1, maxMutating: 1)
        let pods = Self.target("/api/v1/namespaces/default/pods")
        _ = try limiter.admit(method: .get, target: pods, query: nil, groups: Self.user)
        let write = try limiter.admit(method: .post, target: pods, query: nil, groups: Self.user)
        #expect(write != nil)
        for method in [HTTPRequest.Method.put, .patch, .delete, .post] {
            #expect(throws: APIError.self) { try limiter.admit(method: method, target: pods, query: nil, groups: Self.user) }
        }
        write?.release()
        #expect(limiter.inFlight == (1, 0))
    }

    @Test("long-running requests, system:masters and a limit of 0 take no slot",
          arguments: [("GET", "/api/v1/pods", "watch=true"), ("GET", "/api/v1/watch/pods", ""),
                      ("POST", "/api/v1/namespaces/d/pods/p/exec", "command=sh"), ("GET", "/api/v1/namespaces/d/pods/p/attach", ""),
                      ("GET", "/api/v1/namespaces/d/pods/p/log", "follow=true"), ("POST", "/api/v1/namespaces/d/pods/p/portforward", ""),
                      ("GET", "/api/v1/nodes/n/proxy/stats/summary", "")])
    func exempt(method: String, path: String, query: String) throws {
        let limiter = InFlightLimiter(maxReadOnly: 1, maxMutating: 1)
        let method = HTTPRequest.Method(method)!
        for _ in 0..<5 {
            #expect(try limiter.admit(method: method, target: Self.target(path), query: query, groups: Self.user) == nil)
        }
        #expect(limiter.inFlight == (0, 0))
    }

    @Test("system:masters and unlimited pools are never refused")
    func neverRefused() throws {
        let limiter = InFlightLimiter(maxReadOnly: 1, maxMutating: 0)
        let pods = Self.target("/api/v1/pods")
        _ = try limiter.admit(method: .get, target: pods, query: nil, groups: Self.user)
        for _ in 0..<5 {
            #expect(try limiter.admit(method: .get, target: pods, query: nil, groups: ["system:masters"]) == nil)
            #expect(try limiter.admit(method: .post, target: pods, query: nil, groups: Self.user) == nil)
        }
    }
}
