import KyvernAPI
import KyvernClient

extension StatefulSetController {
    /// Creates the pod's missing claims, then the pod (upstream's `CreateStatefulPod`), recording
    /// upstream's `SuccessfulCreate`/`FailedCreate` events worded as its StatefulPodControl words them.
    func createPod(_ set: JSONValue, _ pod: JSONValue, key: String) async throws {
        try await createMissingClaims(set: set, pod: pod)
        await expectations.expectCreations(key, 1)
        do {
            _ = try await client.create(.pods, namespace: set.namespace, pod, options: WriteOptions())
        } catch let error as APIError where error.code == 409 {
            // Already there: the cache has not seen it yet.
            await expectations.creationObserved(key)
            return
        } catch {
            await expectations.creationObserved(key)
            if !PodControl.isNamespaceTerminating(error) {
                await podControl.recorder.record(set, .warning, reason: "FailedCreate", message:
                    "create Pod \(pod.name ?? "") in StatefulSet \(set.name ?? "") failed error: \(errorText(error))")
            }
            throw error
        }
        await podControl.recorder.record(set, .normal, reason: "SuccessfulCreate",
                                         message: "create Pod \(pod.name ?? "") in StatefulSet \(set.name ?? "") successful")
    }

    func deletePod(_ set: JSONValue, _ pod: JSONValue, key: String) async throws {
        await expectations.expectDeletions(key, podKeys: [PodState.key(pod)])
        do {
            try await client.delete(.pods, namespace: pod.namespace, name: pod.name ?? "", options: DeleteOptions())
        } catch {
            await expectations.deletionObserved(key, podKey: PodState.key(pod))
            if (error as? APIError)?.code == 404 { return }
            await podControl.recorder.record(set, .warning, reason: "FailedDelete", message:
                "delete Pod \(pod.name ?? "") in StatefulSet \(set.name ?? "") failed error: \(errorText(error))")
            throw error
        }
        await podControl.recorder.record(set, .normal, reason: "SuccessfulDelete",
                                         message: "delete Pod \(pod.name ?? "") in StatefulSet \(set.name ?? "") successful")
    }

    /// Creates each claim of the pod's ordinal that does not exist yet, owned as the retention policy says.
    func createMissingClaims(set: JSONValue, pod: JSONValue) async throws {
        guard let ordinal = StatefulPodIdentity.ordinal(of: pod) else { return }
        for var claim in StatefulSetClaims.claims(set: set, ordinal: ordinal) {
            if await claims.get(namespace: set.namespace, name: claim.name ?? "") != nil { continue }
            claim.ownerReferences = StatefulSetClaims.ownerReferences(claim: claim, set: set, pod: pod)
            do {
                _ = try await client.create(.persistentVolumeClaims, namespace: set.namespace, claim, options: WriteOptions())
            } catch let error as APIError where error.code == 409 {
                continue
            } catch {
                await podControl.recorder.record(set, .warning, reason: "FailedCreate", message:
                    "create Claim \(claim.name ?? "") for Pod \(pod.name ?? "") in StatefulSet \(set.name ?? "") failed error: \(errorText(error))")
                throw error
            }
            await podControl.recorder.record(set, .normal, reason: "SuccessfulCreate", message:
                "create Claim \(claim.name ?? "") Pod \(pod.name ?? "") in StatefulSet \(set.name ?? "") success")
        }
    }

    /// True when a claim of the pod is still being deleted: the pod must wait for it to go, or it
    /// would start on data about to vanish (upstream's `PodClaimIsStale`).
    func claimIsStale(set: JSONValue, pod: JSONValue) async throws -> Bool {
        guard let ordinal = StatefulPodIdentity.ordinal(of: pod) else { return false }
        for claim in StatefulSetClaims.claims(set: set, ordinal: ordinal) {
            if let existing = await claims.get(namespace: set.namespace, name: claim.name ?? ""),
               existing.deletionTimestamp != nil {
                return true
            }
        }
        return false
    }

    /// Sets the owner references of the pod's existing claims to what the retention policy asks.
    func fixClaims(set: JSONValue, pod: JSONValue) async throws {
        guard let ordinal = StatefulPodIdentity.ordinal(of: pod) else { return }
        for template in StatefulSetClaims.claims(set: set, ordinal: ordinal) {
            guard let claim = await claims.get(namespace: set.namespace, name: template.name ?? ""),
                  claim.deletionTimestamp == nil,
                  !StatefulSetClaims.matchesPolicy(claim: claim, set: set, pod: pod) else { continue }
            let refs = StatefulSetClaims.ownerReferences(claim: claim, set: set, pod: pod)
            let patch: JSONValue = ["metadata": ["ownerReferences": refs.isEmpty ? .null : .array(refs),
                                                 "resourceVersion": .string(claim.resourceVersion ?? "")]]
            do {
                _ = try await client.patch(.persistentVolumeClaims, namespace: set.namespace, name: claim.name ?? "",
                                           subresource: nil, type: .merge, patch, options: WriteOptions())
            } catch let error as APIError where error.code == 404 {}
        }
    }
}
