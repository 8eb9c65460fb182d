import KyvernAPI
import KyvernClient

extension JobController {
    /// Removes the tracking finalizer from `pods` and remembers each until the cache shows it
    /// gone; a pod already deleted needs nothing. Returns after every patch, throwing the first failure.
    func removeFinalizers(_ pods: [JSONValue], jobKey: String) async throws {
        guard !pods.isEmpty else { return }
        let client = self.client
        let released = self.released
        let errors: [any Error] = await withTaskGroup(of: (any Error)?.self) { group in
            for pod in pods {
                group.addTask {
                    let patch: JSONValue = ["metadata": [
                        "$deleteFromPrimitiveList/finalizers": [.string(JobPodFacts.trackingFinalizer)],
                        "uid": .string(pod.uid ?? ""),
                    ]]
                    do {
                        _ = try await client.patch(.pods, namespace: pod.namespace, name: pod.name ?? "", subresource: nil,
                                                   type: .strategicMerge, patch, options: WriteOptions())
                    } catch let error as APIError where error.code == 404 || error.code == 409 || error.code == 422 {
                        // Gone already (or replaced by a namesake): nothing holds it.
                    } catch {
                        return error
                    }
                    await released.add(pod.uid ?? "", job: jobKey)
                    return nil
                }
            }
            var errors: [any Error] = []
            for await case let error? in group { errors.append(error) }
            return errors
        }
        if let first = errors.first { throw first }
    }

    /// The Job `name` is gone: its pods still holding the tracking finalizer are released so they
    /// can be deleted (upstream's orphan pod finalizer removal).
    func releaseOrphans(namespace: String?, jobName: String) async throws {
        var orphans: [JSONValue] = []
        for pod in await pods.list(namespace: namespace) where JobPodFacts.hasTrackingFinalizer(pod) {
            guard let ref = ControllerRef(of: pod), ref.kind == Self.kind, ref.name == jobName else { continue }
            if let job = await jobs.get(namespace: namespace, name: jobName), job.uid == ref.uid { continue }
            orphans.append(pod)
        }
        try await removeFinalizers(orphans, jobKey: ObjectKey(namespace: namespace, name: jobName).description)
    }
}
