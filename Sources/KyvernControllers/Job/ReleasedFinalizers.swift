/// Pods whose tracking finalizer a Job controller removed, until its cache shows them without it.
///
/// The counters move past a pod's uid as soon as its finalizer is removed; a stale cached copy
/// still holding the finalizer must not be recorded as finished a second time.
actor ReleasedFinalizers {
    private var released: [String: Set<String>] = [:]

    func uids(for job: String) -> Set<String> {
        released[job] ?? []
    }

    func add(_ uid: String, job: String) {
        released[job, default: []].insert(uid)
    }

    /// Forgets the uids the cache has caught up with: pods gone or shown without the finalizer.
    func prune(job: String, stillShown: Set<String>) {
        guard let current = released[job] else { return }
        let kept = current.intersection(stillShown)
        released[job] = kept.isEmpty ? nil : kept
    }
}
