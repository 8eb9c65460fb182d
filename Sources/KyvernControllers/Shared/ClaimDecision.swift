import KyvernAPI

/// What a controller does with one object when it claims the objects its selector matches
/// (upstream's `BaseControllerRefManager.ClaimObject`).
enum ClaimDecision: Sendable, Hashable {
    /// Already ours and still matching.
    case owned
    /// An orphan that matches: take it by adding our controller reference.
    case adopt
    /// Ours but no longer matching: let it go by removing our reference.
    case release
    /// Someone else's, or not ours to take.
    case ignore

    /// Decides for `object` given the owner's uid, whether the owner is being deleted, its
    /// namespace and whether `object` matches its selector.
    static func decide(for object: JSONValue, ownerUID: String, ownerDeleting: Bool, ownerNamespace: String,
                       matches: Bool) -> ClaimDecision {
        if let ref = ControllerRef(of: object) {
            guard ref.uid == ownerUID else { return .ignore }
            if matches { return .owned }
            // A deleting owner keeps its objects so the garbage collector can find them.
            return ownerDeleting ? .ignore : .release
        }
        if ownerDeleting || !matches { return .ignore }
        if object.deletionTimestamp != nil { return .ignore }
        if !ownerNamespace.isEmpty && ownerNamespace != (object.namespace ?? "") { return .ignore }
        return .adopt
    }
}
