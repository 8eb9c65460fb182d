import Foundation
import Glibc
import KyvernAPI
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

@Suite("fsGroup ownership of volumes", .enabled(if: runningAsRoot, "chown to another group needs root"))
struct VolumeOwnershipTests {
    static let group: gid_t = 4321

    /// A tree: root/ (0755), root/file (0644), root/run.sh (0700), root/sub/ (0700), root/sub/deep (0600),
    /// root/link -> an outside file (0600) that must stay as it is.
    func withTree(_ body: (String, String) throws -> Void) throws {
        let scratch = FileManager.default.temporaryDirectory.path + "/kyvern-ownership-\(UUID().uuidString)"
        let root = scratch + "/volume"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        chmod(root, 0o755)
        chmod(root + "/sub", 0o700)
        for (name, mode) in [("file", 0o644), ("run.sh", 0o700), ("sub/deep", 0o600)] as [(String, mode_t)] {
            FileManager.default.createFile(atPath: root + "/" + name, contents: Data("x".utf8))
            chmod(root + "/" + name, mode)
        }
        let outside = scratch + "/outside"
        FileManager.default.createFile(atPath: outside, contents: Data("y".utf8))
        chmod(outside, 0o600)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: outside)
        try body(root, outside)
    }

    /// `VolumeOwnership.apply`, its typed throw made plain for `#expect`.
    func walked(to root: String, fsGroup: gid_t, policy: VolumeOwnership.ChangePolicy) throws -> Bool {
        try VolumeOwnership.apply(to: root, fsGroup: fsGroup, policy: policy)
    }

    @Test func alwaysGivesEveryFileTheGroupWithReadWriteAndDirectoriesSetgid() throws {
        try withTree { root, outside in
            let walk1 = try walked(to: root, fsGroup: Self.group, policy: .always)
            #expect(walk1)
            #expect(ownership(root) == FileOwner(Self.group, 0o2775))
            #expect(ownership(root + "/sub") == FileOwner(Self.group, 0o2770))
            #expect(ownership(root + "/file") == FileOwner(Self.group, 0o664))
            // Group execute is only added to directories, as upstream.
            #expect(ownership(root + "/run.sh") == FileOwner(Self.group, 0o760))
            #expect(ownership(root + "/sub/deep") == FileOwner(Self.group, 0o660))
            // The link itself changes group; what it points to is not touched.
            #expect(ownership(root + "/link")?.gid == Self.group)
            #expect(ownership(outside) == FileOwner(0, 0o600))
        }
    }

    @Test func onRootMismatchSkipsAVolumeWhoseRootIsAlreadyRight() throws {
        try withTree { root, _ in
            // Root not yet right: the whole tree is walked.
            let walk2 = try walked(to: root, fsGroup: Self.group, policy: .onRootMismatch)
            #expect(walk2)
            #expect(ownership(root + "/sub/deep") == FileOwner(Self.group, 0o660))
            // Root right: a file changed since is left as it is.
            chmod(root + "/sub/deep", 0o600)
            let walk3 = try walked(to: root, fsGroup: Self.group, policy: .onRootMismatch)
            #expect(!walk3)
            #expect(ownership(root + "/sub/deep") == FileOwner(Self.group, 0o600))
            // Always walks regardless.
            let walk4 = try walked(to: root, fsGroup: Self.group, policy: .always)
            #expect(walk4)
            #expect(ownership(root + "/sub/deep") == FileOwner(Self.group, 0o660))
            // Another group, or a root without setgid, is a mismatch.
            #expect(VolumeOwnership.needsChange(root, fsGroup: Self.group + 1))
            chmod(root, 0o775)
            #expect(VolumeOwnership.needsChange(root, fsGroup: Self.group))
        }
    }

    @Test func thePodsSecurityContextNamesGroupAndPolicy() {
        let pod: JSONValue = ["spec": ["securityContext": ["fsGroup": 2000, "fsGroupChangePolicy": "OnRootMismatch"]]]
        #expect(VolumeOwnership.fsGroup(of: pod)?.group == 2000)
        #expect(VolumeOwnership.fsGroup(of: pod)?.policy == .onRootMismatch)
        #expect(VolumeOwnership.fsGroup(of: ["spec": ["securityContext": ["fsGroup": 7]]])?.policy == .always)
        #expect(VolumeOwnership.fsGroup(of: ["spec": ["securityContext": ["runAsUser": 1000]]]) == nil)
    }

    func fsGroupPod(volumes: [JSONValue], policy: String? = nil, uid: String = "pod-uid-1") -> JSONValue {
        var pod = volumePod(uid: uid, volumes: volumes)
        pod[path: ["spec", "securityContext"]] = ["fsGroup": .int(Int64(Self.group))]
        if let policy { pod[path: ["spec", "securityContext", "fsGroupChangePolicy"]] = .string(policy) }
        return pod
    }

    @Test func claimVolumesAndEmptyDirsGetTheFsGroupButReadOnlyClaimsDoNot() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            let data = root + "/storage/rw"
            let kept = root + "/storage/ro"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
            chmod(data, 0o755)
            chmod(kept, 0o755)
            FileManager.default.createFile(atPath: data + "/old", contents: Data())
            chmod(data + "/old", 0o644)
            try bindClaim(client, claim: "rw", volume: "pv-rw", source: ["local": ["path": .string(data)]])
            try bindClaim(client, claim: "ro", volume: "pv-ro", source: ["hostPath": ["path": .string(kept)]])
            let pod = fsGroupPod(volumes: [claimVolume("rw", claim: "rw"), claimVolume("ro", claim: "ro", readOnly: true),
                                           ["name": "scratch", "emptyDir": [:]]])
            try await volumes.setUp(pod: pod)
            #expect(ownership(data) == FileOwner(Self.group, 0o2775))
            #expect(ownership(data + "/old") == FileOwner(Self.group, 0o664))
            #expect(ownership(kept) == FileOwner(0, 0o755))
            let scratch = "\(root)/pod-uid-1/volumes/kubernetes.io~empty-dir/scratch"
            #expect(ownership(scratch) == FileOwner(Self.group, 0o2777))
            // A refresh keeps the emptyDir's setgid bit.
            try await volumes.setUp(pod: pod)
            #expect(ownership(scratch) == FileOwner(Self.group, 0o2777))
        }
    }

    @Test func onRootMismatchLeavesAClaimVolumeAlreadyOwned() async throws {
        let client = FakeClient()
        try await withPodVolumes(client: client) { volumes, root in
            let data = root + "/storage/pvc"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: data + "/private", contents: Data())
            chmod(data + "/private", 0o600)
            chown(data, uid_t.max, Self.group)
            chmod(data, 0o2770)
            try bindClaim(client, source: ["hostPath": ["path": .string(data), "type": "DirectoryOrCreate"]])
            try await volumes.setUp(pod: fsGroupPod(volumes: [claimVolume()], policy: "OnRootMismatch"))
            #expect(ownership(data + "/private") == FileOwner(0, 0o600))
            // The next pod on the claim, with the default policy, changes everything again.
            try await volumes.setUp(pod: fsGroupPod(volumes: [claimVolume()], uid: "pod-uid-2"))
            #expect(ownership(data + "/private") == FileOwner(Self.group, 0o660))
        }
    }
}
