import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Prometheus
import Testing
@testable import KyvernScheduler

/// VolumeBinding inside the scheduler: the storage objects kept from informers, the cluster
/// events that move pods waiting on volumes, its place in the default profile, its args, and
/// a pod with a WaitForFirstConsumer claim scheduled end to end.
@Suite struct VolumeBindingWiringTests {
    typealias F = VolumeFixtures

    @Test func claimsVolumesAndClassesFillTheContext() {
        let objects = ClusterObjects()
        objects.handleStorage(.claim, .added(F.claim("data", namespace: "team")))
        objects.handleStorage(.volume, .added(F.volume("pv-1")))
        objects.handleStorage(.storageClass, .added(F.storageClass("local")))
        var storage = objects.context.storage
        #expect(storage.claim(namespace: "team", name: "data")?.name == "data")
        #expect(storage.volumes.keys.sorted() == ["pv-1"])
        #expect(storage.classes.keys.sorted() == ["local"])
        objects.handleStorage(.volume, .updated(old: F.volume("pv-1"), new: F.volume("pv-1", phase: "Bound")))
        #expect(objects.context.storage.volumes["pv-1"]?[path: ["status", "phase"]] == "Bound")
        objects.handleStorage(.claim, .deleted(F.claim("data", namespace: "team")))
        objects.handleStorage(.volume, .deleted(F.volume("pv-1")))
        storage = objects.context.storage
        #expect(storage.claims.isEmpty)
        #expect(storage.volumes.isEmpty)
    }

    @Test func storageEventsMoveOnlyPodsWaitingOnVolumes() {
        for event in [ClusterEvent.claimAdded, .claimUpdated, .volumeAdded, .volumeUpdated,
                      .storageClassAdded, .storageClassUpdated] {
            #expect(EventInterest.mayHelp(event, rejectedBy: ["VolumeBinding"]))
            #expect(!EventInterest.mayHelp(event, rejectedBy: ["NodeResourcesFit"]))
        }
        #expect(EventInterest.mayHelp(.nodeAdded, rejectedBy: ["VolumeBinding"]))
        #expect(!EventInterest.mayHelp(.assignedPodDeleted, rejectedBy: ["VolumeBinding"]))
    }

    @Test func defaultProfileRunsVolumeBindingAtUpstreamsPlace() throws {
        let profile = try #require(try SchedulerProfiles.defaults(registry: .running(client: FakeClient())).profiles.first)
        #expect(profile.pluginNames[.preFilter] == ["NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                                                    "NodeResourcesFit", "VolumeBinding", "PodTopologySpread",
                                                    "InterPodAffinity"])
        #expect(profile.pluginNames[.filter] == ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
                                                 "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread",
                                                 "InterPodAffinity"])
        #expect(profile.pluginNames[.reserve] == ["VolumeBinding"])
        #expect(profile.pluginNames[.preBind] == ["VolumeBinding"])
        #expect(profile.pluginNames[.bind] == ["DefaultBinder"])
        let plugin = try #require(profile.framework.preBinders.first as? VolumeBinding)
        #expect(plugin.bindTimeout == .seconds(600))
    }

    @Test func bindTimeoutComesFromTheArgs() throws {
        let header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
        let registry = PluginRegistry.running(client: FakeClient())
        let profiles = try SchedulerProfiles.load(yaml: header + """
            profiles:
            - pluginConfig:
              - name: VolumeBinding
                args: {bindTimeoutSeconds: 30}
            """, registry: registry)
        let plugin = try #require(profiles.profiles.first?.framework.preBinders.first as? VolumeBinding)
        #expect(plugin.bindTimeout == .seconds(30))
        do {
            _ = try SchedulerProfiles.load(yaml: header + """
                profiles:
                - pluginConfig:
                  - name: VolumeBinding
                    args: {bindTimeoutSeconds: -1}
                """, registry: registry)
            Issue.record("a negative timeout should be refused")
        } catch {
            #expect(error.description == "profiles[0].pluginConfig[0].args.bindTimeoutSeconds: Invalid value: -1: invalid BindTimeoutSeconds, should not be a negative value")
        }
    }

    /// A pod whose claim does not exist yet waits; once the claim appears (a cluster event) the
    /// scheduler selects a node for the provisioner, and binds the pod once the binder (played
    /// here) reports the claim Bound.
    @Test func podWithAWaitForFirstConsumerClaimIsScheduledOnceItsClaimIsBound() async throws {
        let client = FakeClient()
        try client.seed(.nodes, F.node("n1"))
        try client.seed(.storageClasses, F.storageClass("local"))
        try client.seed(.pods, F.pod("web", claims: ["data"]))
        let profiles = try SchedulerProfiles.defaults(registry: .running(client: client)).frameworks
        let scheduler = Scheduler(client: client, profiles: profiles, registry: PrometheusCollectorRegistry(),
                                  logger: Logger(label: "test"), recorder: EventRecorder(instance: "test"))
        let task = Task { await scheduler.runComponents() }
        defer { task.cancel() }
        func pod() -> JSONValue? { client.object(.pods, namespace: "default", name: "web") }
        var message: String?
        for _ in 0..<200 where message == nil {
            message = pod()?[path: ["status", "conditions"]]?.arrayValue?.first?["message"]?.stringValue
            if message == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(message == "0/1 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..")

        _ = try await client.create(.persistentVolumeClaims, namespace: "default", F.claim("data"))
        var selected: String?
        for _ in 0..<300 where selected == nil {
            selected = client.object(.persistentVolumeClaims, namespace: "default", name: "data")?
                .annotations["volume.kubernetes.io/selected-node"]
            if selected == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(selected == "n1")
        #expect(pod()?[path: ["spec", "nodeName"]] == nil)

        // The binder's part: the claim becomes Bound to the provisioned volume.
        var claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: "data"))
        claim[path: ["spec", "volumeName"]] = "pvc-data"
        claim = try await client.update(.persistentVolumeClaims, namespace: "default", claim)
        claim[path: ["status", "phase"]] = "Bound"
        _ = try await client.updateStatus(.persistentVolumeClaims, namespace: "default", claim)
        var node: String?
        for _ in 0..<300 where node == nil {
            node = pod()?[path: ["spec", "nodeName"]]?.stringValue
            if node == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(node == "n1")
        task.cancel()
        await task.value
    }
}
