public import KyvernAPI

/// What the provisioning controller needs from a storage backend: make, grow and remove the
/// storage behind a volume. The controller owns every API decision (when, which claim, which
/// events); a backend only touches storage, so a CSI client can be added as another conformer.
public protocol VolumeProvisioner: Sendable {
    /// The name StorageClasses use in `provisioner`, e.g. `kyvern.io/local-path`.
    var name: String { get }
    /// Makes the storage for a claim and returns the volume's source and node affinity.
    func provision(_ request: ProvisionRequest) async throws -> ProvisionedVolume
    /// Removes the storage behind a volume this provisioner made; succeeds when already gone.
    func delete(_ volume: JSONValue) async throws
    /// Grows the storage to at least `size`; returns the size the volume now has.
    func expand(_ volume: JSONValue, to size: Quantity) async throws -> Quantity
}

/// One claim to provision for.
public struct ProvisionRequest: Sendable {
    /// The volume's name, `pvc-<claim uid>` as upstream's provisioners choose it.
    public var volumeName: String
    public var claim: JSONValue
    public var storageClass: JSONValue
    /// The node the volume must live on (the scheduler's choice, or this provisioner's node).
    public var node: String
    /// For a clone (`dataSource` naming a claim): the source claim's bound volume.
    public var sourceVolume: JSONValue?

    public init(volumeName: String, claim: JSONValue, storageClass: JSONValue, node: String, sourceVolume: JSONValue? = nil) {
        self.volumeName = volumeName
        self.claim = claim
        self.storageClass = storageClass
        self.node = node
        self.sourceVolume = sourceVolume
    }
}

/// What a backend made: the fields of the volume's spec that say where the data is
/// (`hostPath`, `local`, later `csi`) and where it can be used (`nodeAffinity`).
public struct ProvisionedVolume: Sendable, Equatable {
    public var source: [String: JSONValue]
    public var nodeAffinity: JSONValue?

    public init(source: [String: JSONValue], nodeAffinity: JSONValue?) {
        self.source = source
        self.nodeAffinity = nodeAffinity
    }
}

/// Why a backend could not act; the message reaches the claim's events.
public struct ProvisioningError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
