public import KyvernAPI
public import KyvernClient

/// Upstream's VolumeBinding: places a pod only where its PersistentVolumeClaims can be served,
/// and binds WaitForFirstConsumer claims once the node is known.
///
/// PreFilter sorts the pod's claims (rejecting missing, deleted and unbound Immediate ones);
/// Filter checks each node (bound volumes' node affinity, an Available volume or a provisioner
/// for each delayed claim); Reserve records the choice for the chosen node; PreBind writes it
/// through the API (a volume's `claimRef`, or a claim's selected-node annotation for the
/// provisioner) and waits until the PV binder reports every claim Bound.
public struct VolumeBinding: PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin {
    public static let immediateReason = "pod has unbound immediate PersistentVolumeClaims"
    public let name = "VolumeBinding"
    let client: any KubernetesClient
    /// Upstream's `bindTimeoutSeconds`: how long PreBind waits for the claims to become Bound.
    let bindTimeout: Duration
    let pollInterval: Duration
    /// The scheduler's cached claims and volumes, which PreBind waits on; nil: it reads the API.
    let updates: StorageUpdates?
    let assumptions = VolumeAssumptions()

    static let stateKey = "PreFilterVolumeBinding"
    static let reservedKey = "ReserveVolumeBinding"

    /// What PreFilter leaves for Filter and Reserve.
    struct State: Sendable {
        var claims: PodVolumeClaims
        /// Volumes other pods reserved but the informers may not show as taken yet.
        var excluded: Set<String>
    }

    public init(client: any KubernetesClient, bindTimeout: Duration = .seconds(600),
                pollInterval: Duration = .seconds(1)) {
        self.init(client: client, bindTimeout: bindTimeout, pollInterval: pollInterval, updates: nil)
    }

    package init(client: any KubernetesClient, bindTimeout: Duration, pollInterval: Duration,
                 updates: StorageUpdates?) {
        self.client = client
        self.updates = updates
        self.bindTimeout = bindTimeout
        self.pollInterval = pollInterval
    }

    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        if PodVolumeClaims.claimNames(of: pod).isEmpty { return Status(.skip) }
        let claims: PodVolumeClaims
        do {
            claims = try PodVolumeClaims(pod: pod, storage: state.snapshot?.cluster.storage ?? StorageObjects())
        } catch {
            return .unresolvable(error.message)
        }
        // The PV binder must bind these first; the claim's update moves the pod back.
        if !claims.immediate.isEmpty { return .unresolvable(Self.immediateReason) }
        state.write(Self.stateKey, State(claims: claims,
                                         excluded: assumptions.reserved(exceptPod: Self.uid(of: pod))))
        return .success
    }

    /// Unresolvable, as upstream: evicting pods frees no volume.
    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        guard let data = state.read(Self.stateKey, as: State.self) else { return .success }
        let (_, reasons) = PodVolumes.find(for: data.claims, node: Self.node(node), excluded: data.excluded)
        return reasons.isEmpty ? .success : Status(.unschedulableAndUnresolvable, reasons)
    }

    public func reserve(state: inout CycleState, pod: JSONValue, nodeName: String) -> Status {
        guard let data = state.read(Self.stateKey, as: State.self) else { return .success }
        guard let node = state.snapshot?[nodeName] else {
            return Status(.error, ["node \"\(nodeName)\" not found"])
        }
        let (volumes, reasons) = PodVolumes.find(for: data.claims, node: Self.node(node), excluded: data.excluded)
        if !reasons.isEmpty { return Status(.unschedulableAndUnresolvable, reasons) }
        assumptions.assume(pod: Self.uid(of: pod),
                           volumes: Set(volumes.staticBindings.compactMap { $0.volume.name }))
        state.write(Self.reservedKey, volumes)
        return .success
    }

    /// Upstream reverts its assume cache; a selected-node annotation already written stays
    /// (the provisioner or a later cycle replaces it).
    public func unreserve(state: inout CycleState, pod: JSONValue, nodeName: String) {
        assumptions.forget(pod: Self.uid(of: pod))
        state.write(Self.reservedKey, PodVolumes())
    }

    public func preBind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status {
        guard let data = state.read(Self.stateKey, as: State.self) else { return .success }
        let volumes = state.read(Self.reservedKey, as: PodVolumes.self) ?? PodVolumes()
        // Every claim was bound already (a delayed claim always gets a decision in Reserve).
        if volumes.isEmpty { return .success }
        do {
            try await bind(volumes, claims: data.claims.names, nodeName: nodeName)
        } catch {
            return Status(.error, [error.message])
        }
        // The volumes now carry their claimRef in the API; the informers take over.
        assumptions.forget(pod: Self.uid(of: pod))
        return .success
    }

    static func node(_ node: NodeInfo) -> VolumeMatching.Node {
        VolumeMatching.Node(name: node.name, labels: node.labels)
    }

    static func uid(of pod: JSONValue) -> String {
        pod[path: ["metadata", "uid"]]?.stringValue ?? NodeInfo.key(of: pod)
    }
}
