import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernScheduler

/// VolumeBinding's PreFilter, Filter, Reserve and PreBind against claims, volumes and classes
/// seeded in a fake API server.
@Suite struct VolumeBindingTests {
    typealias F = VolumeFixtures

    /// A cluster of nodes plus storage objects; the plugin reads the snapshot and writes through the fake.
    struct Cluster {
        let client = FakeClient()
        let plugin: VolumeBinding
        let nodeNames: [String]
        /// Claims only the snapshot has (the fake's create clears what a test may need, like a
        /// deletionTimestamp).
        var informerOnlyClaims: [JSONValue] = []

        init(nodes: [String] = ["a", "b"], claims: [JSONValue] = [], volumes: [JSONValue] = [],
             classes: [JSONValue] = [F.storageClass("local")], bindTimeout: Duration = .seconds(5)) throws {
            for claim in claims { try client.seed(.persistentVolumeClaims, claim) }
            for volume in volumes { try client.seed(.persistentVolumes, volume) }
            for storageClass in classes { try client.seed(.storageClasses, storageClass) }
            plugin = VolumeBinding(client: client, bindTimeout: bindTimeout, pollInterval: .milliseconds(10))
            nodeNames = nodes
        }

        var snapshot: Snapshot {
            let storage = StorageObjects(claims: client.objects(.persistentVolumeClaims) + informerOnlyClaims,
                                         volumes: client.objects(.persistentVolumes),
                                         classes: client.objects(.storageClasses))
            return Snapshot(nodes: nodeNames.map(F.node), pods: [], cluster: ClusterContext(storage: storage))
        }

        func preFilter(_ pod: JSONValue) -> (Status, CycleState) {
            let snapshot = snapshot
            var state = CycleState(snapshot: snapshot)
            let status = plugin.preFilter(state: &state, pod: pod, nodes: snapshot.nodes)
            return (status, state)
        }

        /// Each node's Filter status after a successful PreFilter.
        func filter(_ pod: JSONValue) -> [String: Status] {
            let (status, state) = preFilter(pod)
            #expect(status.isSuccess)
            return Dictionary(uniqueKeysWithValues: state.snapshot!.nodes.map {
                ($0.name, plugin.filter(state: state, pod: pod, node: $0))
            })
        }

        /// PreFilter then Reserve on `node`; the state PreBind gets.
        func reserve(_ pod: JSONValue, on node: String) -> (Status, CycleState) {
            var (status, state) = preFilter(pod)
            #expect(status.isSuccess)
            status = plugin.reserve(state: &state, pod: pod, nodeName: node)
            return (status, state)
        }

        /// Plays the PV binder: once `claim` looks ready, marks it Bound to `volume`.
        func bindLater(claim: String, volume: String, when ready: @escaping @Sendable (JSONValue) -> Bool)
            -> Task<Void, Never> {
            let client = client
            return Task {
                for _ in 0..<500 {
                    if var current = client.object(.persistentVolumeClaims, namespace: "default", name: claim),
                       ready(current) {
                        current[path: ["spec", "volumeName"]] = .string(volume)
                        current[path: ["status", "phase"]] = "Bound"
                        do {
                            current = try await client.update(.persistentVolumeClaims, namespace: "default", current)
                            current[path: ["status", "phase"]] = "Bound"
                            _ = try await client.updateStatus(.persistentVolumeClaims, namespace: "default", current)
                        } catch {}
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
        }
    }

    // MARK: PreFilter

    @Test func podWithoutClaimsSkipsThePlugin() throws {
        let cluster = try Cluster()
        let pod = Fixtures.pod("p", spec: ["volumes": [["name": "tmp", "emptyDir": [:]]]])
        #expect(cluster.preFilter(pod).0.isSkip)
    }

    @Test func missingDeletedAndForeignClaimsAreUnresolvable() throws {
        var deleting = F.claim("old")
        deleting[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T00:00:00Z"
        var cluster = try Cluster(claims: [F.claim("p-scratch")])
        cluster.informerOnlyClaims = [deleting]
        #expect(cluster.preFilter(F.pod(claims: ["data"])).0
            == .unresolvable("persistentvolumeclaim \"data\" not found"))
        #expect(cluster.preFilter(F.pod(claims: ["old"])).0
            == .unresolvable("persistentvolumeclaim \"old\" is being deleted"))
        #expect(cluster.preFilter(F.pod(claims: [], ephemeral: ["cache"])).0
            == .unresolvable("waiting for ephemeral volume controller to create the persistentvolumeclaim \"p-cache\""))
        // A claim named like the pod's ephemeral volume but not owned by the pod.
        #expect(cluster.preFilter(F.pod(claims: [], ephemeral: ["scratch"])).0
            == .unresolvable("PVC default/p-scratch was not created for pod default/p (pod is not owner)"))
    }

    @Test func ephemeralClaimOwnedByThePodIsUsed() throws {
        var claim = F.claim("p-scratch")
        claim[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "Pod", "name": "p",
                                                         "uid": "uid-p", "controller": true]]
        let cluster = try Cluster(claims: [claim])
        let statuses = cluster.filter(F.pod(claims: [], ephemeral: ["scratch"]))
        #expect(statuses.values.allSatisfy { $0.isSuccess })
    }

    @Test(arguments: [
        ("fast", [VolumeFixtures.storageClass("fast", mode: "Immediate")]),
        (nil, [VolumeFixtures.storageClass("local")]),
        ("missing", [VolumeFixtures.storageClass("local")]),
    ] as [(String?, [JSONValue])])
    func unboundImmediateClaimsAreUnresolvable(className: String?, classes: [JSONValue]) throws {
        let cluster = try Cluster(claims: [F.claim("data", storageClass: className)], classes: classes)
        #expect(cluster.preFilter(F.pod(claims: ["data"])).0 == .unresolvable(VolumeBinding.immediateReason))
    }

    // MARK: Filter

    @Test func boundClaimNeedsItsVolumeOnTheNode() throws {
        let cluster = try Cluster(claims: [F.claim("data", volumeName: "pv-a", phase: "Bound")],
                                  volumes: [F.volume("pv-a", node: "a", phase: "Bound")])
        let statuses = cluster.filter(F.pod(claims: ["data"]))
        #expect(statuses["a"] == .success)
        #expect(statuses["b"] == .unresolvable("node(s) had volume node affinity conflict"))
    }

    @Test func boundClaimWhoseVolumeIsMissing() throws {
        let cluster = try Cluster(claims: [F.claim("data", volumeName: "gone", phase: "Bound")])
        #expect(cluster.filter(F.pod(claims: ["data"]))["a"]
            == .unresolvable("node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"))
    }

    @Test func waitForFirstConsumerTakesTheSmallestLocalVolumeOnItsNodeOnly() throws {
        let cluster = try Cluster(
            claims: [F.claim("data", size: "3Gi")],
            volumes: [F.volume("big-a", size: "10Gi", node: "a"), F.volume("small-a", size: "5Gi", node: "a"),
                      F.volume("tiny-a", size: "1Gi", node: "a"), F.volume("other-class", size: "5Gi",
                                                                            storageClass: "slow", node: "b")],
            classes: [F.storageClass("local", provisioner: "kubernetes.io/no-provisioner")])
        let pod = F.pod(claims: ["data"])
        let statuses = cluster.filter(pod)
        #expect(statuses["a"] == .success)
        #expect(statuses["b"] == .unresolvable("node(s) didn't find available persistent volumes to bind"))
        let (status, state) = cluster.reserve(pod, on: "a")
        #expect(status == .success)
        let chosen = state.read(VolumeBinding.reservedKey, as: PodVolumes.self)
        #expect(chosen?.staticBindings.map { $0.volume.name } == ["small-a"])
        #expect(chosen?.provisions.isEmpty == true)
    }

    @Test func waitForFirstConsumerWithAProvisionerFitsAnyNode() throws {
        let cluster = try Cluster(claims: [F.claim("data")])
        let statuses = cluster.filter(F.pod(claims: ["data"]))
        #expect(statuses == ["a": .success, "b": .success])
        let (status, state) = cluster.reserve(F.pod(claims: ["data"]), on: "b")
        #expect(status == .success)
        #expect(state.read(VolumeBinding.reservedKey, as: PodVolumes.self)?.provisions.map(\.name) == ["data"])
    }

    @Test func provisionerRespectsAllowedTopologies() throws {
        var storageClass = F.storageClass("local")
        storageClass["allowedTopologies"] = [["matchLabelExpressions": [
            ["key": "kubernetes.io/hostname", "values": ["b"]]]]]
        let cluster = try Cluster(claims: [F.claim("data")], classes: [storageClass])
        let statuses = cluster.filter(F.pod(claims: ["data"]))
        #expect(statuses["a"] == .unresolvable(PodVolumes.Reason.bindConflict))
        #expect(statuses["b"] == .success)
    }

    @Test func claimWithASelectedNodeOnlyFitsThatNode() throws {
        var claim = F.claim("data")
        claim[path: ["metadata", "annotations"]] = ["volume.kubernetes.io/selected-node": "b"]
        let cluster = try Cluster(claims: [claim])
        let statuses = cluster.filter(F.pod(claims: ["data"]))
        #expect(statuses["a"] == .unresolvable(PodVolumes.Reason.bindConflict))
        #expect(statuses["b"] == .success)
    }

    @Test func noVolumeAndNoProvisionerGivesUpstreamsPendingMessage() throws {
        let cluster = try Cluster(nodes: ["a"], claims: [F.claim("data")],
                                  classes: [F.storageClass("local", provisioner: "kubernetes.io/no-provisioner")])
        let framework = try #require(try SchedulerProfiles.defaults(registry: .running(client: cluster.client))
            .frameworks["default-scheduler"])
        do {
            _ = try framework.schedule(pod: F.pod(claims: ["data"]), snapshot: cluster.snapshot)
            Issue.record("the pod should not fit")
        } catch {
            #expect(error.message == "0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..")
            #expect(error.nodeStatuses["a"]?.plugin == "VolumeBinding")
        }
    }

    @Test func nodeConflictAndBindConflictAreBothReported() throws {
        let cluster = try Cluster(
            claims: [F.claim("logs", volumeName: "pv-b", phase: "Bound"), F.claim("data")],
            volumes: [F.volume("pv-b", node: "b", phase: "Bound")],
            classes: [F.storageClass("local", provisioner: "kubernetes.io/no-provisioner")])
        let statuses = cluster.filter(F.pod(claims: ["logs", "data"]))
        #expect(statuses["a"] == Status(.unschedulableAndUnresolvable, [PodVolumes.Reason.nodeConflict,
                                                                         PodVolumes.Reason.bindConflict]))
        #expect(statuses["b"] == .unresolvable(PodVolumes.Reason.bindConflict))
    }

    @Test func twoClaimsOfOnePodNeverShareAVolume() throws {
        let noProvisioner = [F.storageClass("local", provisioner: "kubernetes.io/no-provisioner")]
        let pod = F.pod(claims: ["one", "two"])
        let single = try Cluster(nodes: ["a"], claims: [F.claim("one"), F.claim("two")],
                                 volumes: [F.volume("pv-1", size: "5Gi", node: "a")], classes: noProvisioner)
        #expect(single.filter(pod)["a"] == .unresolvable(PodVolumes.Reason.bindConflict))

        let two = try Cluster(nodes: ["a"], claims: [F.claim("one", size: "2Gi"), F.claim("two")],
                              volumes: [F.volume("pv-1", size: "5Gi", node: "a"), F.volume("pv-2", size: "2Gi", node: "a")],
                              classes: noProvisioner)
        #expect(two.filter(pod)["a"] == .success)
        let (status, state) = two.reserve(pod, on: "a")
        #expect(status == .success)
        let bindings = state.read(VolumeBinding.reservedKey, as: PodVolumes.self)?.staticBindings ?? []
        let pairs = Dictionary(uniqueKeysWithValues: bindings.map { ($0.claim.name ?? "", $0.volume.name ?? "") })
        // The smaller claim chooses first and takes the smaller volume.
        #expect(pairs == ["two": "pv-2", "one": "pv-1"])
    }

    @Test func volumeReservedForAnotherPodIsNotOfferedAgain() throws {
        let cluster = try Cluster(nodes: ["a"], claims: [F.claim("one"), F.claim("two")],
                                  volumes: [F.volume("pv-1", node: "a")],
                                  classes: [F.storageClass("local", provisioner: "kubernetes.io/no-provisioner")])
        let first = F.pod("first", claims: ["one"])
        #expect(cluster.reserve(first, on: "a").0 == .success)
        let second = F.pod("second", claims: ["two"])
        #expect(cluster.filter(second)["a"] == .unresolvable(PodVolumes.Reason.bindConflict))
        // Unreserve gives the volume back.
        var (_, state) = cluster.preFilter(first)
        cluster.plugin.unreserve(state: &state, pod: first, nodeName: "a")
        #expect(cluster.filter(second)["a"] == .success)
    }

    // MARK: PreBind

    @Test func preBindSetsTheClaimRefAndWaitsUntilTheClaimIsBound() async throws {
        let cluster = try Cluster(nodes: ["a"], claims: [F.claim("data")], volumes: [F.volume("pv-1", node: "a")],
                                  classes: [F.storageClass("local", provisioner: "kubernetes.io/no-provisioner")])
        let pod = F.pod(claims: ["data"])
        let (status, state) = cluster.reserve(pod, on: "a")
        #expect(status == .success)
        // The binder reacts to the volume's claimRef.
        let client = cluster.client
        let binder = cluster.bindLater(claim: "data", volume: "pv-1") { _ in
            client.object(.persistentVolumes, name: "pv-1")?[path: ["spec", "claimRef"]] != nil
        }
        let result = await cluster.plugin.preBind(state: state, pod: pod, nodeName: "a")
        await binder.value
        #expect(result == .success)
        let volume = try #require(client.object(.persistentVolumes, name: "pv-1"))
        let claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: "data"))
        #expect(volume[path: ["spec", "claimRef"]]?["kind"] == "PersistentVolumeClaim")
        #expect(volume[path: ["spec", "claimRef"]]?["apiVersion"] == "v1")
        #expect(volume[path: ["spec", "claimRef"]]?["namespace"] == "default")
        #expect(volume[path: ["spec", "claimRef"]]?["name"] == "data")
        #expect(volume[path: ["spec", "claimRef"]]?["uid"]?.stringValue == claim.uid)
        #expect(volume.annotations["pv.kubernetes.io/bound-by-controller"] == "yes")
        #expect(claim[path: ["status", "phase"]] == "Bound")
    }

    @Test func preBindSelectsTheNodeForTheProvisioner() async throws {
        let cluster = try Cluster(claims: [F.claim("data")])
        let pod = F.pod(claims: ["data"])
        let (_, state) = cluster.reserve(pod, on: "b")
        let binder = cluster.bindLater(claim: "data", volume: "pvc-uid-data") {
            $0.annotations["volume.kubernetes.io/selected-node"] == "b"
        }
        let result = await cluster.plugin.preBind(state: state, pod: pod, nodeName: "b")
        await binder.value
        #expect(result == .success)
        let claim = cluster.client.object(.persistentVolumeClaims, namespace: "default", name: "data")
        #expect(claim?.annotations["volume.kubernetes.io/selected-node"] == "b")
        #expect(cluster.client.writes.filter { $0.resource == "persistentvolumes" }.isEmpty)
    }

    @Test func preBindFailsWhenTheClaimIsNotBoundInTime() async throws {
        let cluster = try Cluster(claims: [F.claim("data")], bindTimeout: .milliseconds(50))
        let pod = F.pod(claims: ["data"])
        let (_, state) = cluster.reserve(pod, on: "a")
        let result = await cluster.plugin.preBind(state: state, pod: pod, nodeName: "a")
        #expect(result == Status(.error, ["binding volumes: context deadline exceeded"]))
        // The provisioner was still asked; upstream leaves the annotation in place.
        #expect(cluster.client.object(.persistentVolumeClaims, namespace: "default", name: "data")?
            .annotations["volume.kubernetes.io/selected-node"] == "a")
    }

    @Test func preBindFailsWhenTheProvisionerGivesTheClaimBack() async throws {
        let cluster = try Cluster(claims: [F.claim("data")])
        let pod = F.pod(claims: ["data"])
        let (_, state) = cluster.reserve(pod, on: "a")
        let client = cluster.client
        let provisioner = Task {
            for _ in 0..<500 {
                if var claim = client.object(.persistentVolumeClaims, namespace: "default", name: "data"),
                   claim.annotations["volume.kubernetes.io/selected-node"] != nil {
                    claim[path: ["metadata", "annotations"]] = [:]
                    _ = try? await client.update(.persistentVolumeClaims, namespace: "default", claim)
                    return
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let result = await cluster.plugin.preBind(state: state, pod: pod, nodeName: "a")
        await provisioner.value
        #expect(result == Status(.error, ["binding volumes: provisioning failed for PVC \"data\""]))
    }

    @Test func preBindWithEveryClaimBoundWritesNothing() async throws {
        let cluster = try Cluster(claims: [F.claim("data", volumeName: "pv-a", phase: "Bound")],
                                  volumes: [F.volume("pv-a", node: "a", phase: "Bound")])
        let pod = F.pod(claims: ["data"])
        let (status, state) = cluster.reserve(pod, on: "a")
        #expect(status == .success)
        cluster.client.clearActions()
        #expect(await cluster.plugin.preBind(state: state, pod: pod, nodeName: "a") == .success)
        #expect(cluster.client.writes.isEmpty)
    }
}
