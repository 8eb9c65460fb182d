public import KyvernAPI

/// What VolumeBinding decided for a pod on one node: the Available volume each claim takes
/// (static binding), and the claims a provisioner must create a volume for there.
public struct PodVolumes: Sendable {
    public struct StaticBinding: Sendable {
        public var claim: JSONValue
        public var volume: JSONValue
    }

    public var staticBindings: [StaticBinding] = []
    public var provisions: [JSONValue] = []

    public var isEmpty: Bool { staticBindings.isEmpty && provisions.isEmpty }

    /// Upstream's `ErrReason*` strings, as `kubectl describe` shows them in the fit error.
    public enum Reason {
        public static let nodeConflict = "node(s) had volume node affinity conflict"
        public static let bindConflict = "node(s) didn't find available persistent volumes to bind"
        public static let volumeNotExist = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
    }

    /// A provisioner name meaning "no dynamic provisioning", used by local volume classes.
    static let noProvisioner = "kubernetes.io/no-provisioner"

    /// Upstream's `FindPodVolumes` for one node: bound claims need their volume usable on the
    /// node; each unbound WaitForFirstConsumer claim needs an Available volume usable there
    /// (smallest claims choose first, never two claims one volume, never a volume `excluded`
    /// because another pod took it) or else a class that can provision there. Returns the
    /// decisions, and the reasons the node does not fit (empty when it does).
    static func find(for claims: PodVolumeClaims, node: VolumeMatching.Node,
                     excluded: Set<String>) -> (volumes: PodVolumes, reasons: [String]) {
        var boundSatisfied = true, volumesFound = true, unboundSatisfied = true
        for bound in claims.bound {
            guard let volume = bound.volume else {
                volumesFound = false
                break
            }
            if !VolumeMatching.nodeAffinityAllows(volume, node: node) {
                boundSatisfied = false
                break
            }
        }
        var result = PodVolumes()
        var toMatch: [JSONValue] = []
        var toProvision: [JSONValue] = []
        for claim in claims.delayed {
            if let selected = claim.annotations[StorageAnnotations.selectedNode] {
                // Already sent to a provisioner for one node: only that node will do.
                if selected != node.name {
                    unboundSatisfied = false
                    break
                }
                toProvision.append(claim)
            } else {
                toMatch.append(claim)
            }
        }
        if unboundSatisfied {
            var chosen = excluded
            for claim in toMatch.sorted(by: { VolumeMatching.requestedSize($0) < VolumeMatching.requestedSize($1) }) {
                let pool = claims.candidates[VolumeMatching.storageClass(ofClaim: claim)] ?? []
                if let volume = VolumeMatching.bestMatch(for: claim, among: pool, node: node, delayBinding: true,
                                                         excluding: chosen) {
                    chosen.insert(volume.name ?? "")
                    result.staticBindings.append(StaticBinding(claim: claim, volume: volume))
                } else {
                    toProvision.append(claim)
                }
            }
            for claim in toProvision {
                let storageClass = claims.classes[VolumeMatching.storageClass(ofClaim: claim)]
                guard let storageClass, Self.canProvision(storageClass, on: node) else {
                    unboundSatisfied = false
                    break
                }
                result.provisions.append(claim)
            }
        }
        var reasons: [String] = []
        if !boundSatisfied { reasons.append(Reason.nodeConflict) }
        if !unboundSatisfied { reasons.append(Reason.bindConflict) }
        if !volumesFound { reasons.append(Reason.volumeNotExist) }
        return (reasons.isEmpty ? result : PodVolumes(), reasons)
    }

    /// The class names a provisioner, and its `allowedTopologies` (if any) admit the node.
    static func canProvision(_ storageClass: JSONValue, on node: VolumeMatching.Node) -> Bool {
        let provisioner = storageClass["provisioner"]?.stringValue ?? ""
        guard !provisioner.isEmpty, provisioner != noProvisioner else { return false }
        let terms = storageClass["allowedTopologies"]?.arrayValue ?? []
        if terms.isEmpty { return true }
        // Upstream's MatchTopologySelectorTerms: any term whose every expression the node's
        // labels satisfy (the label's value among the expression's values).
        return terms.contains { term in
            (term["matchLabelExpressions"]?.arrayValue ?? []).allSatisfy { expression in
                guard let key = expression["key"]?.stringValue, let value = node.labels[key] else { return false }
                return (expression["values"]?.arrayValue ?? []).contains { $0.stringValue == value }
            }
        }
    }
}
