public import KyvernAPI

/// A pod waiting in (or popped from) the scheduling queue, with what the queue must remember
/// between attempts.
public struct QueuedPod: Sendable {
    public var pod: JSONValue
    /// "namespace/name".
    public let key: String
    /// `spec.priority` (0 when unset): higher schedules first.
    public var priority: Int64
    /// When the pod last entered the queue (orders equal priorities, starts backoff).
    public var timestamp: Double
    /// When the pod first entered the queue: the start of the scheduling SLI.
    public let initialAttemptTimestamp: Double
    /// Scheduling attempts so far.
    public var attempts: Int = 0
    /// The plugins that rejected the pod in its last attempt; only cluster events these plugins
    /// care about move it out of the unschedulable pods.
    public var unschedulablePlugins: Set<String> = []
    /// The queue's event sequence number when the pod was popped, to find events it missed.
    var poppedAtEvent: Int = 0
    /// Whether its last attempt failed with an error (not "fits nowhere"): such a pod waits out its
    /// whole backoff, even when nothing else is queued.
    var failedWithError = false

    public init(pod: JSONValue, timestamp: Double) {
        self.pod = pod
        key = NodeInfo.key(of: pod)
        priority = pod[path: ["spec", "priority"]]?.intValue ?? 0
        self.timestamp = timestamp
        initialAttemptTimestamp = timestamp
    }

    /// Upstream's PrioritySort: higher priority first, then whoever waited longer.
    static func prioritySort(_ a: QueuedPod, _ b: QueuedPod) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.timestamp < b.timestamp
    }
}
