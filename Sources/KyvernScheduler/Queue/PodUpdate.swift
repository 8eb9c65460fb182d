import KyvernAPI

/// Tells a user's change to a pod from the bookkeeping writes the scheduler and kubelet make.
enum PodUpdate {
    /// True when something other than status and write metadata changed — a change that may make
    /// the pod schedulable (a relaxed selector, a new toleration). The scheduler's own
    /// `PodScheduled` condition write must not count, or every failure would retry at once.
    static func isUserUpdate(old: JSONValue, new: JSONValue) -> Bool {
        stripped(old) != stripped(new)
    }

    private static func stripped(_ pod: JSONValue) -> JSONValue {
        var pod = pod
        pod["status"] = nil
        for field in ["resourceVersion", "generation", "managedFields"] {
            pod[path: ["metadata", field]] = nil
        }
        return pod
    }
}
