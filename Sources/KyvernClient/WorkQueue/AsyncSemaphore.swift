import DequeModule

/// Bounds how many of something run at once: `acquire` suspends once `limit` are running, in
/// arrival order. The scheduler bounds bindings in flight with it (holding the scheduling loop back
/// instead of piling up bind requests), the node agent its container starts.
public actor AsyncSemaphore {
    private var available: Int
    private var waiters: Deque<CheckedContinuation<Void, Never>> = []

    public init(limit: Int) {
        available = max(1, limit)
    }

    public func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if let next = waiters.popFirst() {
            next.resume()
        } else {
            available += 1
        }
    }
}
