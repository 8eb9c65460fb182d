public import KyvernAPI

/// The PersistentVolumeClaims, PersistentVolumes and StorageClasses VolumeBinding decides with,
/// as the informers last saw them.
public struct StorageObjects: Sendable {
    /// Claims by "namespace/name".
    public var claims: [String: JSONValue] = [:]
    /// Volumes by name.
    public var volumes: [String: JSONValue] = [:]
    /// Storage classes by name.
    public var classes: [String: JSONValue] = [:]

    public init(claims: [JSONValue] = [], volumes: [JSONValue] = [], classes: [JSONValue] = []) {
        for claim in claims { self.claims[Self.claimKey(namespace: claim.namespace ?? "", name: claim.name ?? "")] = claim }
        for volume in volumes { self.volumes[volume.name ?? ""] = volume }
        for storageClass in classes { self.classes[storageClass.name ?? ""] = storageClass }
    }

    public static func claimKey(namespace: String, name: String) -> String { namespace + "/" + name }

    public func claim(namespace: String, name: String) -> JSONValue? {
        claims[Self.claimKey(namespace: namespace, name: name)]
    }
}
