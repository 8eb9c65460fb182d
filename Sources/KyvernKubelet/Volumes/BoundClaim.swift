import KyvernAPI

/// A pod's `persistentVolumeClaim` volume resolved to the PersistentVolume bound to it.
struct BoundClaim: Sendable, Hashable {
    var namespace: String
    var claimName: String
    var claimUID: String
    /// The PersistentVolume's name (the claim's `spec.volumeName`).
    var volumeName: String
    /// The PersistentVolume as read when the pod's volume was set up.
    var volume: JSONValue
    /// The pod's `persistentVolumeClaim.readOnly`: every mount of the volume is then read-only.
    var readOnly: Bool
}
