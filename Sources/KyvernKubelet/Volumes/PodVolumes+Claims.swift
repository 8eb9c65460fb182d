import Foundation
import KyvernAPI
import KyvernRuntime
import Logging

/// A claim volume set up for a pod: its bound volume, the mounter of the volume's source and the
/// host directory the pod's containers bind.
struct ClaimVolume: Sendable {
    var claim: BoundClaim
    var mounter: any PersistentVolumeMounter
    var request: ClaimVolumeRequest
    var directory: String

    /// `<plugin>/<volume name>`, as the Node's `status.volumesInUse` lists it.
    var inUseName: String { "\(mounter.pluginName)/\(claim.volumeName)" }
}

extension PodVolumes {
    /// The volumes of pods on this node that claims put there, sorted, each once: what the Node
    /// reports in `status.volumesInUse`.
    public func volumesInUse() -> [String] {
        Set(claimVolumes.values.flatMap { $0.values.map(\.inUseName) }).sorted()
    }

    /// Resolves the claim and sets its volume up, once per pod: later refreshes leave it alone,
    /// so a claim deleted (or a volume changed) under a running pod does not disturb it.
    func setUpClaim(volume: JSONValue, named name: String, pod: JSONValue, uid: String) async throws {
        if claimVolumes[uid]?[name] != nil { return }
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let claim = try await ClaimResolver(client: client).resolve(namespace: namespace,
                                                                     source: volume["persistentVolumeClaim"] ?? [:])
        let mounter = try mounters.mounter(for: claim.volume)
        let request = ClaimVolumeRequest(claim: claim, podUID: uid, podVolumesDirectory: "\(rootDirectory)/\(uid)/volumes",
                                         volumeName: name)
        let directory = try await mounter.setUp(request)
        // Read-only volumes are used as they are.
        if mounter.appliesOwnership && !claim.readOnly, let fsGroup = VolumeOwnership.fsGroup(of: pod) {
            try VolumeOwnership.apply(to: directory, fsGroup: fsGroup.group, policy: fsGroup.policy)
        }
        claimVolumes[uid, default: [:]][name] = ClaimVolume(claim: claim, mounter: mounter, request: request, directory: directory)
        logger.info("claim volume set up", metadata: [
            "pod": "\(uid)", "volume": "\(name)", "claim": "\(namespace)/\(claim.claimName)",
            "persistentVolume": "\(claim.volumeName)", "path": "\(directory)",
        ])
    }

    /// Claim volumes the container mounts that are not set up yet (a setUp that failed, or an
    /// agent restarted under a running pod), set up now or failed with their reason.
    func setUpMissingClaims(pod: JSONValue, container: JSONValue) async throws {
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let mounted = Set((container["volumeMounts"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        for volume in pod[path: ["spec", "volumes"]]?.arrayValue ?? [] {
            guard let name = volume["name"]?.stringValue, mounted.contains(name),
                  volume["persistentVolumeClaim"] != nil, claimVolumes[uid]?[name] == nil else { continue }
            do {
                try await setUpClaim(volume: volume, named: name, pod: pod, uid: uid)
            } catch {
                throw VolumeError(volumeName: name, message: "\(error)")
            }
        }
    }

    /// Lets each claim volume's mounter undo its setUp; the volumes' data stays where it is.
    func tearDownClaims(podUID: String) async throws {
        guard let volumes = claimVolumes.removeValue(forKey: podUID) else { return }
        for (name, volume) in volumes.sorted(by: { $0.key < $1.key }) {
            do {
                try await volume.mounter.tearDown(volume.request, directory: volume.directory)
            } catch {
                throw VolumeError(volumeName: name, message: "\(error)")
            }
        }
    }

    /// The pod's fsGroup given to an emptyDir the first time it is set up for the pod.
    func applyOwnershipOnce(pod: JSONValue, directory: String, key: String) throws {
        guard !ownedEmptyDirs.contains(key), let fsGroup = VolumeOwnership.fsGroup(of: pod) else { return }
        try VolumeOwnership.apply(to: directory, fsGroup: fsGroup.group, policy: fsGroup.policy)
        ownedEmptyDirs.insert(key)
    }

    nonisolated func modeBits(_ path: String) -> mode_t? {
        VolumeOwnership.Entry(path)?.mode
    }
}
