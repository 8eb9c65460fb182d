/// Which PersistentVolume a claim may bind to, as upstream's binder and the scheduler's
/// VolumeBinding plugin both decide it: one rule set in one place so the two never disagree.
///
/// A volume pre-bound to the claim (its `claimRef` names the claim) wins when it fits; otherwise
/// the smallest Available volume of the claim's class, volume mode and selector that offers every
/// requested access mode and at least the requested size.
public enum VolumeMatching {
    /// A node as the match needs it, for volumes with node affinity.
    public struct Node: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]

        public init(name: String, labels: [String: String]) {
            self.name = name
            self.labels = labels
        }
    }

    /// The claim's class: the beta annotation first, then `spec.storageClassName`; "" for none.
    public static func storageClass(ofClaim claim: JSONValue) -> String {
        claim.annotations[StorageAnnotations.betaStorageClass] ?? claim[path: ["spec", "storageClassName"]]?.stringValue ?? ""
    }

    /// The volume's class, read the same way.
    public static func storageClass(ofVolume volume: JSONValue) -> String {
        volume.annotations[StorageAnnotations.betaStorageClass] ?? volume[path: ["spec", "storageClassName"]]?.stringValue ?? ""
    }

    /// `spec.resources.requests.storage` of a claim (zero when absent or unparsable).
    public static func requestedSize(_ claim: JSONValue) -> Quantity {
        quantity(claim[path: ["spec", "resources", "requests", "storage"]])
    }

    /// `spec.capacity.storage` of a volume.
    public static func capacity(_ volume: JSONValue) -> Quantity {
        quantity(volume[path: ["spec", "capacity", "storage"]])
    }

    /// A storage quantity field (zero when absent or unparsable).
    public static func quantity(_ value: JSONValue?) -> Quantity {
        value?.stringValue.flatMap { try? Quantity(parsing: $0) } ?? Quantity(0)
    }

    /// Whether the volume's `claimRef` names this claim (a uid in the ref must also agree).
    public static func isPreBound(_ volume: JSONValue, to claim: JSONValue) -> Bool {
        guard let ref = volume[path: ["spec", "claimRef"]], ref.objectValue != nil else { return false }
        guard ref["name"]?.stringValue == claim.name,
              (ref["namespace"]?.stringValue ?? "") == (claim.namespace ?? "") else { return false }
        let uid = ref["uid"]?.stringValue ?? ""
        return uid.isEmpty || uid == claim.uid
    }

    /// Whether the volume may be used on `node`: no required node affinity, or the node satisfies it.
    public static func nodeAffinityAllows(_ volume: JSONValue, node: Node) -> Bool {
        guard let required = volume[path: ["spec", "nodeAffinity", "required"]], required.objectValue != nil else { return true }
        return RequiredNodeSelector(json: required).matches(name: node.name, labels: node.labels)
    }

    /// The hostname the volume is pinned to by a `kubernetes.io/hostname In [one]` term, if any.
    public static func pinnedNode(_ volume: JSONValue) -> String? {
        for term in volume[path: ["spec", "nodeAffinity", "required", "nodeSelectorTerms"]]?.arrayValue ?? [] {
            for expression in term["matchExpressions"]?.arrayValue ?? [] where
                expression["key"]?.stringValue == "kubernetes.io/hostname" && expression["operator"]?.stringValue == "In" {
                let values = expression["values"]?.arrayValue ?? []
                if values.count == 1 { return values[0].stringValue }
            }
        }
        return nil
    }

    /// `volumeMode` defaults to Filesystem on both sides; they must agree.
    public static func volumeModesAgree(_ claim: JSONValue, _ volume: JSONValue) -> Bool {
        (claim[path: ["spec", "volumeMode"]]?.stringValue ?? "Filesystem") == (volume[path: ["spec", "volumeMode"]]?.stringValue ?? "Filesystem")
    }

    /// Every access mode the claim asks for is offered by the volume.
    public static func accessModesOffered(_ claim: JSONValue, _ volume: JSONValue) -> Bool {
        let offered = Set((volume[path: ["spec", "accessModes"]]?.arrayValue ?? []).compactMap(\.stringValue))
        return (claim[path: ["spec", "accessModes"]]?.arrayValue ?? []).compactMap(\.stringValue).allSatisfy(offered.contains)
    }

    /// The claim's label selector admits the volume (no selector admits all; a bad one admits none).
    public static func selectorAdmits(_ claim: JSONValue, _ volume: JSONValue) -> Bool {
        guard let json = claim[path: ["spec", "selector"]], json.objectValue != nil else { return true }
        guard let selector = try? LabelSelector(labelSelector: json) else { return false }
        return selector.matches(volume.labels)
    }

    /// The best volume for `claim` among `volumes`, or nil.
    ///
    /// With `node`, only volumes usable there count. With `delayBinding` and no node (a
    /// WaitForFirstConsumer claim not yet placed) only a volume pre-bound to the claim is chosen:
    /// the scheduler picks the rest once it knows the node.
    public static func bestMatch(for claim: JSONValue, among volumes: [JSONValue], node: Node? = nil,
                                 delayBinding: Bool = false, excluding excluded: Set<String> = []) -> JSONValue? {
        let requested = requestedSize(claim)
        let requestedClass = storageClass(ofClaim: claim)
        var smallest: (volume: JSONValue, size: Quantity)?
        for volume in volumes {
            guard let name = volume.name, !excluded.contains(name) else { continue }
            let size = capacity(volume)
            guard volumeModesAgree(claim, volume) else { continue }
            if isPreBound(volume, to: claim) {
                guard size >= requested, storageClass(ofVolume: volume) == requestedClass else { continue }
                if let node, !nodeAffinityAllows(volume, node: node) { continue }
                return volume
            }
            if node == nil && delayBinding { continue }
            if let ref = volume[path: ["spec", "claimRef"]], ref.objectValue != nil { continue }
            guard volume[path: ["status", "phase"]]?.stringValue == "Available",
                  volume.deletionTimestamp == nil,
                  selectorAdmits(claim, volume),
                  storageClass(ofVolume: volume) == requestedClass,
                  accessModesOffered(claim, volume),
                  size >= requested else { continue }
            if let node, !nodeAffinityAllows(volume, node: node) { continue }
            if smallest == nil || size < smallest!.size { smallest = (volume, size) }
        }
        return smallest?.volume
    }
}
