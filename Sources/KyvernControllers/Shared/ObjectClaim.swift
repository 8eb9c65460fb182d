import KyvernAPI
import KyvernClient

/// Claims the objects an owner's selector matches (upstream's `ClaimObject` loop): keeps its own,
/// adopts matching orphans and releases owned objects that stopped matching.
///
/// Shared by controllers that own objects other than through a ReplicaSet (DaemonSet pods, the
/// ControllerRevisions of every history-keeping controller).
struct ObjectClaim: Sendable {
    let client: any KubernetesClient
    let resource: ResourceRef
    let ref: ControllerRef

    /// The claimed objects of `candidates`. Before the first adoption `recheck` must confirm the owner
    /// in the API is still this one and not being deleted, so a replacement never loses objects.
    func claim(owner: JSONValue, selector: LabelSelector, candidates: [JSONValue],
               recheck: @Sendable () async -> Result<Void, any Error>) async throws -> [JSONValue] {
        var claimed: [JSONValue] = []
        var errors: [any Error] = []
        var canAdopt: Result<Void, any Error>?
        for object in candidates {
            let decision = ClaimDecision.decide(for: object, ownerUID: ref.uid, ownerDeleting: owner.deletionTimestamp != nil,
                                                ownerNamespace: owner.namespace ?? "",
                                                matches: selector.matches(labelsOf: object))
            switch decision {
            case .owned:
                claimed.append(object)
            case .ignore:
                continue
            case .adopt:
                if canAdopt == nil { canAdopt = await recheck() }
                if case .failure(let error) = canAdopt {
                    errors.append(error)
                    continue
                }
                do {
                    claimed.append(try await patch(object, ref.adoptionPatch(for: object)))
                } catch let error as APIError where error.code == 404 {
                    continue
                } catch {
                    errors.append(error)
                }
            case .release:
                do {
                    _ = try await patch(object, ref.releasePatch(for: object))
                } catch let error as APIError where error.code == 404 || error.code == 422 {
                    continue
                } catch {
                    errors.append(error)
                }
            }
        }
        if let first = errors.first { throw first }
        return claimed
    }

    private func patch(_ object: JSONValue, _ patch: JSONValue) async throws -> JSONValue {
        try await client.patch(resource, namespace: object.namespace, name: object.name ?? "", subresource: nil,
                               type: .strategicMerge, patch, options: WriteOptions())
    }

    /// The standard recheck: the owner of `resource` read fresh from the API must have `owner`'s uid
    /// and no deletion timestamp (upstream's `RecheckDeletionTimestamp`).
    static func recheck(client: any KubernetesClient, ownerResource: ResourceRef, owner: JSONValue) async -> Result<Void, any Error> {
        do {
            let fresh = try await client.get(ownerResource, namespace: owner.namespace, name: owner.name ?? "")
            let name = "\(owner.namespace ?? "")/\(owner.name ?? "")"
            if fresh.uid != owner.uid {
                return .failure(APIError(code: 409, reason: "Conflict", message:
                    "original \(name) is gone: got uid \(fresh.uid ?? ""), wanted \(owner.uid ?? "")"))
            }
            if let deleted = fresh.deletionTimestamp {
                return .failure(APIError(code: 409, reason: "Conflict", message: "\(name) has just been deleted at \(deleted)"))
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
