import Foundation
import KyvernAPI
import KyvernClient
import Logging

extension ReplicaSetController {
    /// Creates or deletes pods so `active` reaches `spec.replicas`, at most `burstReplicas` per
    /// sync (upstream's `manageReplicas`). Returns the first failure, which also becomes the
    /// `ReplicaFailure` condition.
    func manageReplicas(_ rs: JSONValue, active: [JSONValue], key: ObjectKey) async -> (any Error)? {
        let expectationKey = key.description
        let replicas = Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
        let diff = active.count - replicas
        if diff < 0 {
            let count = min(-diff, Self.burstReplicas)
            await expectations.expectCreations(expectationKey, count)
            logger.debug("too few replicas, creating", metadata: [
                "replicaset": "\(key)", "need": "\(replicas)", "creating": "\(count)",
            ])
            let template = rs[path: ["spec", "template"]]
            let ref = ControllerRef(owner: rs, apiVersion: Self.apiVersion, kind: Self.kind)
            let control = podControl
            let (successes, error) = await slowStartBatch(count: count) { _ in
                do {
                    try await control.createPod(from: template, owner: rs, controllerRef: ref)
                } catch where PodControl.isNamespaceTerminating(error) {
                    // The namespace is going away; its pods go with it.
                }
            }
            // Creations never attempted or refused will never be observed.
            for _ in 0..<(count - successes) { await expectations.creationObserved(expectationKey) }
            return error
        }
        if diff > 0 {
            let count = min(diff, Self.burstReplicas)
            let related = await relatedPods(of: rs)
            let victims = Array(PodDeletionRanking.sorted(active, related: related, now: now()).prefix(count))
            await expectations.expectDeletions(expectationKey, podKeys: victims.map(PodState.key))
            await observeDeletionsAlreadySeen(victims, key: expectationKey)
            logger.debug("too many replicas, deleting", metadata: [
                "replicaset": "\(key)", "need": "\(replicas)", "deleting": "\(count)",
            ])
            let control = podControl
            let expectations = self.expectations
            return await withTaskGroup(of: (any Error)?.self) { group in
                for pod in victims {
                    group.addTask {
                        do {
                            try await control.deletePod(namespace: pod.namespace ?? "", name: pod.name ?? "", owner: rs)
                            return nil
                        } catch {
                            // A failed delete is never observed; a 404 means it is already gone.
                            await expectations.deletionObserved(expectationKey, podKey: PodState.key(pod))
                            return (error as? APIError)?.code == 404 ? nil : error
                        }
                    }
                }
                var first: (any Error)?
                for await case let error? in group where first == nil { first = error }
                return first
            }
        }
        return nil
    }

    /// Victims someone else (the taint eviction controller, a user) began deleting after this sync
    /// read its cache but before it recorded the expectations: their deletion event has passed, and
    /// deleting a pod already terminating writes nothing, so no event would ever meet them. On a
    /// dead node such a pod also never goes away, and the ReplicaSet would sit out the expectations'
    /// timeout (5 minutes) unable to scale down, its status counting more pods than its spec — the
    /// Deployment controller then loops on "got invalid request to scale down". Counting them as
    /// observed now, from the cache the events already updated, closes that window.
    func observeDeletionsAlreadySeen(_ victims: [JSONValue], key: String) async {
        for victim in victims {
            let cached = await pods.get(namespace: victim.namespace, name: victim.name ?? "")
            if cached == nil || cached?.uid != victim.uid || cached?.deletionTimestamp != nil {
                await expectations.deletionObserved(key, podKey: PodState.key(victim))
            }
        }
    }

    /// Pods of this ReplicaSet and of its siblings (same controller, e.g. one Deployment's
    /// revisions): their spread over nodes ranks pods for deletion. None for a lone ReplicaSet.
    func relatedPods(of rs: JSONValue) async -> [JSONValue] {
        guard let owner = ControllerRef(of: rs) else { return [] }
        let siblings = await replicaSets.list(namespace: rs.namespace)
            .filter { ControllerRef(of: $0)?.uid == owner.uid }.compactMap(\.uid)
        var related: [JSONValue] = []
        for uid in Set(siblings) {
            related += await pods.list(index: .ownerUID, value: uid).filter {
                $0.namespace == rs.namespace && ControllerRef(of: $0)?.uid == uid
            }
        }
        return related
    }
}
