public import KyvernAPI

/// The extension points after a node is chosen: Reserve, Permit, PreBind and Bind.
///
/// Kept apart from ``Framework/schedule(pod:snapshot:)`` because they run in the binding cycle,
/// which the scheduler may run concurrently with scheduling the next pod.
extension Framework {
    /// Runs every Reserve plugin in order; when one fails, every Reserve plugin is unreserved
    /// in reverse order (as upstream, which unreserves all, not only those that succeeded).
    public func reserve(state: inout CycleState, pod: JSONValue, nodeName: String) -> Status {
        for plugin in reservers {
            var status = plugin.reserve(state: &state, pod: pod, nodeName: nodeName)
            if !status.isSuccess {
                status.plugin = plugin.name
                unreserve(state: &state, pod: pod, nodeName: nodeName)
                return status
            }
        }
        return .success
    }

    public func unreserve(state: inout CycleState, pod: JSONValue, nodeName: String) {
        for plugin in reservers.reversed() {
            plugin.unreserve(state: &state, pod: pod, nodeName: nodeName)
        }
    }

    /// The Permit verdict: the first rejection wins; otherwise the plugins that asked to wait,
    /// each with its own timeout (the pod is rejected when any of them times out). A pod asked
    /// to wait is registered in ``waitingPods`` by ``waitingPod(for:nodeName:waits:)``.
    public func permit(state: CycleState, pod: JSONValue, nodeName: String)
        -> (status: Status, waits: [String: Duration]) {
        var waits: [String: Duration] = [:]
        for plugin in permitters {
            var (status, timeout) = plugin.permit(state: state, pod: pod, nodeName: nodeName, waitingPods: waitingPods)
            switch status.code {
            case .success, .skip: continue
            case .wait: waits[plugin.name] = timeout
            default:
                status.plugin = plugin.name
                return (status, [:])
            }
        }
        return (waits.isEmpty ? .success : Status(.wait), waits)
    }

    /// Registers a pod Permit asked to wait, so plugins can allow or reject it until
    /// ``WaitingPod/wait()`` returns its verdict; nil when no plugin asked to wait.
    public func waitingPod(for pod: JSONValue, nodeName: String, waits: [String: Duration]) -> WaitingPod? {
        guard !waits.isEmpty else { return nil }
        let waiting = WaitingPod(pod: pod, nodeName: nodeName, timeouts: waits)
        waitingPods.add(waiting)
        return waiting
    }

    /// Waits for a waiting pod's verdict and forgets it.
    public func waitOnPermit(_ waiting: WaitingPod) async -> Status {
        let status = await waiting.wait()
        waitingPods.remove(uid: waiting.uid)
        return status
    }

    /// Runs PreBind plugins, then the first Bind plugin that does not skip.
    public func bind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status {
        for plugin in preBinders {
            var status = await plugin.preBind(state: state, pod: pod, nodeName: nodeName)
            if !status.isSuccess {
                status.plugin = plugin.name
                return status
            }
        }
        for plugin in binders {
            var status = await plugin.bind(state: state, pod: pod, nodeName: nodeName)
            if status.isSkip { continue }
            status.plugin = plugin.name
            return status
        }
        return Status(.error, ["no bind plugin bound the pod"])
    }
}
