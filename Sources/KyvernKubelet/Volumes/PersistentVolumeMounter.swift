import KyvernAPI

/// One kind of PersistentVolume source (`spec.hostPath`, `spec.local`; later `spec.csi`) made
/// usable by a pod on this node. ``PodVolumes`` picks one per claim from a
/// ``PersistentVolumeMounters`` registry, so a new source is a new type, not a change to the
/// pod workers or to how pod volumes are set up and mounted.
protocol PersistentVolumeMounter: Sendable {
    /// The source's key in the PersistentVolume's `spec`, e.g. `local`.
    var sourceKey: String { get }
    /// Upstream's plugin name, e.g. `kubernetes.io/local-volume`: with the volume's name, what the
    /// Node reports in `status.volumesInUse`.
    var pluginName: String { get }
    /// Whether the pod's fsGroup is applied to the directory ``setUp(_:)`` returns.
    var appliesOwnership: Bool { get }
    /// Makes the volume usable by the pod; returns the host directory bound into its containers.
    func setUp(_ request: ClaimVolumeRequest) async throws -> String
    /// Undoes ``setUp(_:)`` for the pod when it goes; the volume's data stays.
    func tearDown(_ request: ClaimVolumeRequest, directory: String) async throws
}

extension PersistentVolumeMounter {
    /// A directory used in place has nothing to undo.
    func tearDown(_ request: ClaimVolumeRequest, directory: String) async throws {}
}

/// What a mounter is given: the claim and its volume, and the pod whose directory
/// (`<root>/<pod uid>/volumes`) may hold a mount point of its own.
struct ClaimVolumeRequest: Sendable {
    var claim: BoundClaim
    var podUID: String
    var podVolumesDirectory: String
    /// The pod volume's name.
    var volumeName: String
}

/// The mounters this node has, one per PersistentVolume source.
struct PersistentVolumeMounters: Sendable {
    var mounters: [any PersistentVolumeMounter]

    init(_ mounters: [any PersistentVolumeMounter]) { self.mounters = mounters }

    /// Directories on this node: the provisioner's `hostPath` volumes and `local` volumes.
    static let standard = PersistentVolumeMounters([HostPathVolumeMounter(), LocalVolumeMounter()])

    /// The mounter for the volume's source, or an error naming the source this node lacks.
    func mounter(for volume: JSONValue) throws(PayloadError) -> any PersistentVolumeMounter {
        let spec = volume["spec"] ?? [:]
        if let found = mounters.first(where: { spec[$0.sourceKey]?.objectValue != nil }) { return found }
        let source = (spec.objectValue ?? [:]).keys.filter { !Self.nonSourceKeys.contains($0) }.sorted().first
        let supported = mounters.map(\.sourceKey).joined(separator: ", ")
        throw PayloadError("no volume plugin matched: PersistentVolume \"\(volume.name ?? "")\" has "
            + (source.map { "source \"\($0)\", which this node does not support" } ?? "no source")
            + " (supported: \(supported))")
    }

    /// `PersistentVolumeSpec` fields that are not a volume source.
    static let nonSourceKeys: Set<String> = [
        "accessModes", "capacity", "claimRef", "mountOptions", "nodeAffinity", "persistentVolumeReclaimPolicy",
        "storageClassName", "volumeAttributesClassName", "volumeMode",
    ]
}
