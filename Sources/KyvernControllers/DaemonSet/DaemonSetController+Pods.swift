import KyvernAPI
import KyvernClient

extension DaemonSetController {
    /// Carries out `plan` (upstream's `syncNodes`): creates pods pinned to their nodes in slow-start
    /// batches and deletes pods in parallel, at most `burstReplicas` of each, after telling the
    /// expectations what to wait for. Returns the first failure.
    func syncNodes(_ ds: JSONValue, plan: DaemonSetPlan, hash: String, key: String) async -> (any Error)? {
        guard !plan.isEmpty else { return nil }
        let nodes = Array(plan.creations.prefix(Self.burstReplicas))
        let victims = Array(plan.deletions.prefix(Self.burstReplicas))
        await expectations.expect(key, creations: nodes.count, deletions: victims.map(PodState.key))
        let template = DaemonPodSpec.template(of: ds, hash: hash)
        let ref = ControllerRef(owner: ds, apiVersion: Self.apiVersion, kind: Self.kind)
        let control = podControl
        let (successes, createError) = await slowStartBatch(count: nodes.count) { index in
            do {
                try await control.createPod(from: DaemonPodSpec.pinned(template, to: nodes[index]), owner: ds, controllerRef: ref)
            } catch where PodControl.isNamespaceTerminating(error) {
                // The namespace is going away; its pods go with it.
            }
        }
        for _ in 0..<(nodes.count - successes) { await expectations.creationObserved(key) }
        let expectations = self.expectations
        let deleteError: (any Error)? = await withTaskGroup(of: (any Error)?.self) { group in
            for pod in victims {
                group.addTask {
                    do {
                        try await control.deletePod(namespace: pod.namespace ?? "", name: pod.name ?? "", owner: ds)
                        return nil
                    } catch {
                        await expectations.deletionObserved(key, podKey: PodState.key(pod))
                        return (error as? APIError)?.code == 404 ? nil : error
                    }
                }
            }
            var first: (any Error)?
            for await case let error? in group where first == nil { first = error }
            return first
        }
        return createError ?? deleteError
    }
}
