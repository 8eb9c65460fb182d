import HTTPTypes
import KyvernAPI
import Prometheus
import Synchronization

/// Upstream's max-in-flight filter (`--max-requests-inflight`, `--max-mutating-requests-inflight`):
/// beyond a number of requests being served at once, further ones are answered 429 at once instead
/// of queueing, so an overloaded server sheds load and clients back off (`Retry-After: 1`).
///
/// Long-running requests (watches, exec, attach, logs, port-forward, proxy) hold no slot, and
/// `system:masters` is never refused, as upstream.
final class InFlightLimiter: Sendable {
    enum Pool: Sendable { case readOnly, mutating }

    let maxReadOnly: Int
    let maxMutating: Int
    private let readOnly = Atomic<Int>(0)
    private let mutating = Atomic<Int>(0)
    /// Upstream's `apiserver_current_inflight_requests{request_kind}`.
    private let readOnlyGauge: Gauge?
    private let mutatingGauge: Gauge?

    /// - Parameters: 0 (or less) for no limit.
    init(maxReadOnly: Int, maxMutating: Int, registry: PrometheusCollectorRegistry? = nil) {
        self.maxReadOnly = maxReadOnly
        self.maxMutating = maxMutating
        self.readOnlyGauge = registry?.makeGauge(name: "apiserver_current_inflight_requests", labels: [("request_kind", "readOnly")])
        self.mutatingGauge = registry?.makeGauge(name: "apiserver_current_inflight_requests", labels: [("request_kind", "mutating")])
    }

    /// A taken slot; the request gives it back when it has been answered.
    struct Slot: Sendable {
        let pool: Pool
        let limiter: InFlightLimiter

        func release() {
            switch pool {
            case .readOnly:
                let left = limiter.readOnly.subtract(1, ordering: .relaxed).newValue
                limiter.readOnlyGauge?.set(Int64(left))
            case .mutating:
                let left = limiter.mutating.subtract(1, ordering: .relaxed).newValue
                limiter.mutatingGauge?.set(Int64(left))
            }
        }
    }

    /// Takes a slot for the request, nil when it needs none (long-running, exempt, unlimited).
    /// - Throws: upstream's 429 `TooManyRequests` when the request's pool is full.
    func admit(method: HTTPRequest.Method, target: RequestTarget?, query: String?, groups: [String]) throws -> Slot? {
        if groups.contains("system:masters") || Self.isLongRunning(method: method, target: target, query: query) { return nil }
        let pool: Pool = Self.isMutating(method) ? .mutating : .readOnly
        let taken = switch pool {
        case .readOnly: Self.take(readOnly, limit: maxReadOnly, gauge: readOnlyGauge)
        case .mutating: Self.take(mutating, limit: maxMutating, gauge: mutatingGauge)
        }
        guard let taken else { return nil }
        guard taken else { throw Self.tooManyRequests }
        return Slot(pool: pool, limiter: self)
    }

    /// Requests holding a slot now, per pool.
    var inFlight: (readOnly: Int, mutating: Int) {
        (readOnly.load(ordering: .relaxed), mutating.load(ordering: .relaxed))
    }

    /// nil when unlimited; else whether a slot was taken (a refused one is given straight back).
    private static func take(_ counter: borrowing Atomic<Int>, limit: Int, gauge: Gauge?) -> Bool? {
        guard limit > 0 else { return nil }
        let taken = counter.add(1, ordering: .relaxed).newValue
        if taken > limit {
            counter.subtract(1, ordering: .relaxed)
            return false
        }
        gauge?.set(Int64(taken))
        return true
    }

    static let tooManyRequests = APIError(code: 429, reason: "TooManyRequests",
                                          message: "Too many requests, please try again later.",
                                          details: .init(retryAfterSeconds: 1))

    static func isMutating(_ method: HTTPRequest.Method) -> Bool {
        method == .post || method == .put || method == .patch || method == .delete
    }

    /// Upstream's long-running check: the watch and proxy verbs, and the attach, exec, proxy, log
    /// and portforward subresources.
    static func isLongRunning(method: HTTPRequest.Method, target: RequestTarget?, query: String?) -> Bool {
        guard let target else { return false }
        if method == .get, QueryParameters(query).bool("watch") == true { return true }
        if target.resource == "watch" || target.resource == "proxy" { return true }  // /api/v1/watch/..., /api/v1/proxy/...
        let subresource = target.subresource?.split(separator: "/").first.map(String.init) ?? ""
        return ["attach", "exec", "proxy", "log", "portforward"].contains(subresource)
    }
}
