import KyvernAPI
import KyvernClient
import Logging

extension ReplicaSetController {
    /// The pods this ReplicaSet owns after adopting matching orphans and releasing owned pods that
    /// no longer match (upstream's `ClaimPods`). Adoption first re-reads the ReplicaSet from the
    /// API, so a ReplicaSet deleted meanwhile never takes pods its replacement should get.
    func claimPods(_ rs: JSONValue, selector: LabelSelector, candidates: [JSONValue]) async throws -> [JSONValue] {
        let uid = rs.uid ?? ""
        let ref = ControllerRef(owner: rs, apiVersion: Self.apiVersion, kind: Self.kind)
        var claimed: [JSONValue] = []
        var errors: [any Error] = []
        var canAdopt: Result<Void, any Error>?
        for pod in candidates {
            let decision = ClaimDecision.decide(for: pod, ownerUID: uid, ownerDeleting: rs.deletionTimestamp != nil,
                                                ownerNamespace: rs.namespace ?? "",
                                                matches: selector.matches(labelsOf: pod))
            switch decision {
            case .owned:
                claimed.append(pod)
            case .ignore:
                continue
            case .adopt:
                if canAdopt == nil { canAdopt = await recheckDeletion(rs) }
                if case .failure(let error) = canAdopt {
                    errors.append(error)
                    continue
                }
                do {
                    try await podControl.patchPod(namespace: pod.namespace ?? "", name: pod.name ?? "",
                                                  ref.adoptionPatch(for: pod))
                    logger.info("adopted pod", metadata: ["replicaset": "\(ObjectKey(rs))", "pod": "\(pod.name ?? "")"])
                    claimed.append(pod)
                } catch let error as APIError where error.code == 404 {
                    continue
                } catch {
                    errors.append(error)
                }
            case .release:
                do {
                    try await podControl.patchPod(namespace: pod.namespace ?? "", name: pod.name ?? "",
                                                  ref.releasePatch(for: pod))
                    logger.info("released pod", metadata: ["replicaset": "\(ObjectKey(rs))", "pod": "\(pod.name ?? "")"])
                } catch let error as APIError where error.code == 404 || error.code == 422 {
                    // Gone, or recreated under the same name (uid mismatch): nothing to release.
                    continue
                } catch {
                    errors.append(error)
                }
            }
        }
        if let first = errors.first { throw first }
        return claimed
    }

    /// Fails when the ReplicaSet in the API is not this one any more, or is being deleted.
    private func recheckDeletion(_ rs: JSONValue) async -> Result<Void, any Error> {
        do {
            let fresh = try await client.get(.replicaSets, namespace: rs.namespace, name: rs.name ?? "")
            if fresh.uid != rs.uid {
                return .failure(APIError(code: 409, reason: "Conflict", message:
                    "original ReplicaSet \(rs.namespace ?? "")/\(rs.name ?? "") is gone: got uid \(fresh.uid ?? ""), wanted \(rs.uid ?? "")"))
            }
            if let deleted = fresh.deletionTimestamp {
                return .failure(APIError(code: 409, reason: "Conflict", message:
                    "\(rs.namespace ?? "")/\(rs.name ?? "") has just been deleted at \(deleted)"))
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
