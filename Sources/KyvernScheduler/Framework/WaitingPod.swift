public import KyvernAPI
import Synchronization

/// A pod that passed Permit only on condition: it waits, assumed on its node, until every
/// plugin that asked it to wait allows it, one rejects it, or a plugin's timeout runs out —
/// upstream's `WaitingPod`. Plugins (or anything holding the framework) release it early with
/// ``allow(_:)`` and ``reject(_:message:)``.
public final class WaitingPod: Sendable {
    public let pod: JSONValue
    public let nodeName: String
    /// The plugins that asked to wait, each with its timeout.
    public let timeouts: [String: Duration]

    private struct State {
        var pending: Set<String>
        var verdict: Status?
        var waiter: CheckedContinuation<Status, Never>?
    }

    private let state: Mutex<State>

    init(pod: JSONValue, nodeName: String, timeouts: [String: Duration]) {
        self.pod = pod
        self.nodeName = nodeName
        self.timeouts = timeouts
        state = Mutex(State(pending: Set(timeouts.keys)))
    }

    public var uid: String { pod[path: ["metadata", "uid"]]?.stringValue ?? "" }

    /// The plugins that have not allowed the pod yet.
    public var pendingPlugins: [String] { state.withLock { $0.pending.sorted() } }

    /// `plugin` lets the pod go; once every waiting plugin did, it proceeds to binding.
    public func allow(_ plugin: String) {
        let done = state.withLock { state -> Bool in
            state.pending.remove(plugin)
            return state.pending.isEmpty
        }
        if done { decide(.success) }
    }

    /// `plugin` rejects the pod: it is unreserved and goes back to the queue as unschedulable.
    public func reject(_ plugin: String, message: String) {
        decide(Status(.unschedulable, [message], plugin: plugin.isEmpty ? nil : plugin))
    }

    /// The first verdict wins; later ones are ignored.
    private func decide(_ status: Status) {
        let waiter = state.withLock { state -> CheckedContinuation<Status, Never>? in
            guard state.verdict == nil else { return nil }
            state.verdict = status
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: status)
    }

    /// Waits for the verdict; each plugin's timeout rejects the pod in that plugin's name.
    func wait() async -> Status {
        await withTaskGroup(of: Void.self) { group in
            for (plugin, timeout) in timeouts {
                group.addTask {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    self.reject(plugin, message: "rejected due to timeout after waiting \(GoDurationText(timeout)) at plugin \(plugin)")
                }
            }
            let status = await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Status? in
                    if let verdict = state.verdict { return verdict }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
            group.cancelAll()
            return status
        }
    }
}

/// The pods of one profile waiting at Permit, by UID — upstream's `waitingPodsMap`, reached
/// through the framework (`GetWaitingPod`, `IterateOverWaitingPods`, `RejectWaitingPod`).
public final class WaitingPods: Sendable {
    private let pods = Mutex<[String: WaitingPod]>([:])

    public init() {}

    public func get(uid: String) -> WaitingPod? {
        pods.withLock { $0[uid] }
    }

    /// Every waiting pod, e.g. for a gang plugin to allow the rest of its group.
    public var all: [WaitingPod] {
        pods.withLock { Array($0.values) }
    }

    /// Rejects the pod with `uid` if it waits (it was deleted, say); false when it does not.
    @discardableResult
    public func reject(uid: String, plugin: String = "", message: String) -> Bool {
        guard let pod = get(uid: uid) else { return false }
        pod.reject(plugin, message: message)
        return true
    }

    func add(_ pod: WaitingPod) {
        pods.withLock { $0[pod.uid] = pod }
    }

    func remove(uid: String) {
        pods.withLock { _ = $0.removeValue(forKey: uid) }
    }
}

/// A duration as Go's `time.Duration.String` prints it ("10s", "1m30s", "500ms"), as upstream's
/// messages show timeouts.
struct GoDurationText: CustomStringConvertible {
    var duration: Duration
    init(_ duration: Duration) { self.duration = duration }

    var description: String {
        let (seconds, attos) = duration.components
        let nanos = seconds * 1_000_000_000 + attos / 1_000_000_000
        if nanos == 0 { return "0s" }
        let sign = nanos < 0 ? "-" : ""
        let n = abs(nanos)
        if n < 1_000 { return sign + "\(n)ns" }
        if n < 1_000_000 { return sign + Self.decimal(n, scale: 1_000) + "µs" }
        if n < 1_000_000_000 { return sign + Self.decimal(n, scale: 1_000_000) + "ms" }
        var text = ""
        let hours = n / 3_600_000_000_000
        let minutes = (n / 60_000_000_000) % 60
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        return sign + text + Self.decimal(n % 60_000_000_000, scale: 1_000_000_000) + "s"
    }

    /// `value / scale` in decimal without trailing zeros ("1.5", "10").
    private static func decimal(_ value: Int64, scale: Int64) -> String {
        let whole = value / scale
        var fraction = value % scale
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(scale).count - 1
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
