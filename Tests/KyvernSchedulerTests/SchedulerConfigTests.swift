import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct SchedulerConfigTests {
    static let header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"

    func load(_ body: String) throws -> SchedulerProfiles {
        try SchedulerProfiles.load(yaml: Self.header + body)
    }

    func error(_ body: String, header: String = header) -> String {
        do {
            _ = try SchedulerProfiles.load(yaml: header + body)
            return "loaded"
        } catch {
            return error.description
        }
    }

    func weights(_ profile: SchedulerProfile) -> [String: Int64] {
        Dictionary(uniqueKeysWithValues: profile.framework.scorers.map { ($0.plugin.name, $0.weight) })
    }

    // MARK: defaults

    @Test func defaultsFollowUpstreamMultiPointWithoutUnimplementedPlugins() throws {
        for profiles in [try SchedulerProfiles.defaults(), try load("")] {
            #expect(profiles.profiles.count == 1)
            let profile = try #require(profiles[schedulerName: "default-scheduler"])
            #expect(profiles[schedulerName: ""]?.schedulerName == "default-scheduler")
            #expect(profile.percentageOfNodesToScore == nil)
            #expect(profiles.parallelism == 16)
            #expect(profiles.podInitialBackoff == .seconds(1))
            #expect(profiles.podMaxBackoff == .seconds(10))
            #expect(profile.pluginNames[.filter] == ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
                                                     "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"])
            // NodeName and TaintToleration also prepare per-pod state in PreFilter here (upstream's do not).
            #expect(profile.pluginNames[.preFilter] == ["NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                                                        "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"])
            #expect(profile.pluginNames[.postFilter] == ["DefaultPreemption"])
            #expect(profile.pluginNames[.preScore] == ["TaintToleration", "NodeAffinity", "PodTopologySpread", "InterPodAffinity",
                                                       "NodeResourcesBalancedAllocation", "ImageLocality"])
            #expect(profile.pluginNames[.score] == ["TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread",
                                                    "InterPodAffinity", "NodeResourcesBalancedAllocation", "ImageLocality"])
            #expect(weights(profile) == ["TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1, "PodTopologySpread": 2,
                                         "InterPodAffinity": 2, "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1])
            #expect(profile.framework.preFilterExtensions.map(\.name) == ["PodTopologySpread", "InterPodAffinity"])
            #expect(profile.pluginNames[.bind] == [])
            #expect(profile.framework.percentageOfNodesToScore == nil)
            let fit = try #require(profile.framework.scorers.first { $0.plugin.name == "NodeResourcesFit" }?.plugin as? NodeResourcesFit)
            #expect(fit.strategy == .leastAllocated)
            #expect(fit.resources == [.init("cpu"), .init("memory")])
        }
    }

    @Test func upstreamDefaultListAndWeights() {
        let entries = PluginSets.upstreamDefaults[.multiPoint].enabled
        #expect(entries.map(\.name) == [
            "SchedulingGates", "PrioritySort", "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
            "NodePorts", "NodeResourcesFit", "VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone",
            "PodTopologySpread", "InterPodAffinity", "DynamicResources", "DefaultPreemption",
            "NodeResourcesBalancedAllocation", "ImageLocality", "DefaultBinder",
        ])
        let weighted = entries.filter { $0.weight != nil }.map { "\($0.name)=\($0.weight!)" }
        #expect(weighted == ["TaintToleration=3", "NodeAffinity=2", "NodeResourcesFit=1", "PodTopologySpread=2",
                             "InterPodAffinity=2", "NodeResourcesBalancedAllocation=1", "ImageLocality=1"])
    }

    // MARK: enable / disable

    @Test func disablingAtOnePointKeepsThePluginElsewhere() throws {
        let profile = try #require(try load("""
            profiles:
            - plugins:
                filter:
                  disabled:
                  - name: NodePorts
            """).profiles.first)
        #expect(profile.schedulerName == "default-scheduler")
        #expect(profile.pluginNames[.filter] == ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
                                                 "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"])
        #expect(profile.pluginNames[.preFilter] == ["NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                                                    "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"])
    }

    @Test func starDisablesAllDefaultsOfAPointAndEnabledOnesGetTheirWeight() throws {
        let profile = try #require(try load("""
            profiles:
            - schedulerName: packer
              plugins:
                score:
                  disabled:
                  - name: "*"
                  enabled:
                  - name: NodeResourcesFit
                    weight: 5
            """)[schedulerName: "packer"])
        #expect(profile.pluginNames[.score] == ["NodeResourcesFit"])
        #expect(weights(profile) == ["NodeResourcesFit": 5])
        // PreScore keeps its defaults: only Score was switched off.
        #expect(profile.pluginNames[.preScore] == ["TaintToleration", "NodeAffinity", "PodTopologySpread", "InterPodAffinity",
                                                   "NodeResourcesBalancedAllocation", "ImageLocality"])
    }

    @Test func starOnMultiPointLeavesOnlyWhatTheFileEnables() throws {
        let profile = try #require(try load("""
            profiles:
            - plugins:
                multiPoint:
                  disabled: [{name: "*"}]
                  enabled: [{name: NodeName}, {name: ImageLocality, weight: 4}]
            """).profiles.first)
        #expect(profile.pluginNames[.filter] == ["NodeName"])
        #expect(profile.pluginNames[.score] == ["ImageLocality"])
        #expect(profile.pluginNames[.preFilter] == ["NodeName"])
        #expect(weights(profile) == ["ImageLocality": 4])
    }

    @Test func reEnablingADefaultReplacesItInPlaceWithTheFileWeight() throws {
        let profile = try #require(try load("""
            profiles:
            - plugins:
                multiPoint:
                  enabled:
                  - name: TaintToleration
                  - name: NodeAffinity
                    weight: 9
            """).profiles.first)
        #expect(profile.pluginNames[.score] == ["TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread",
                                                "InterPodAffinity", "NodeResourcesBalancedAllocation", "ImageLocality"])
        #expect(weights(profile) == ["TaintToleration": 1, "NodeAffinity": 9, "NodeResourcesFit": 1, "PodTopologySpread": 2,
                                     "InterPodAffinity": 2, "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1])
    }

    @Test func pointEntriesOverrideMultiPointAndComeFirst() throws {
        let profile = try #require(try load("""
            profiles:
            - plugins:
                score:
                  enabled:
                  - name: ImageLocality
                    weight: 7
                filter:
                  enabled:
                  - name: NodeResourcesFit
            """).profiles.first)
        #expect(profile.pluginNames[.score] == ["ImageLocality", "TaintToleration", "NodeAffinity", "NodeResourcesFit",
                                                "PodTopologySpread", "InterPodAffinity", "NodeResourcesBalancedAllocation"])
        #expect(weights(profile)["ImageLocality"] == 7)
        #expect(profile.pluginNames[.filter] == ["NodeResourcesFit", "NodeUnschedulable", "NodeName", "TaintToleration",
                                                 "NodeAffinity", "NodePorts", "PodTopologySpread", "InterPodAffinity"])
    }

    // MARK: args

    @Test func nodeResourcesFitArgsChooseTheStrategy() throws {
        let profiles = try load("""
            profiles:
            - schedulerName: most
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy:
                    type: MostAllocated
                    resources: [{name: cpu, weight: 3}, {name: memory}]
                  ignoredResources: [example.com/fpga]
                  ignoredResourceGroups: [vendor.io]
            - schedulerName: ratio
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy:
                    type: RequestedToCapacityRatio
                    requestedToCapacityRatio:
                      shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]
            """)
        func fit(_ name: String) throws -> NodeResourcesFit {
            let profile = try #require(profiles[schedulerName: name])
            return try #require(profile.framework.filters.first { $0.name == "NodeResourcesFit" } as? NodeResourcesFit)
        }
        let most = try fit("most")
        #expect(most.strategy == .mostAllocated)
        #expect(most.resources == [.init("cpu", weight: 3), .init("memory", weight: 1)])
        #expect(most.ignoredResources == ["example.com/fpga"])
        #expect(most.ignoredResourceGroups == ["vendor.io"])
        let ratio = try fit("ratio")
        #expect(ratio.strategy == .requestedToCapacityRatio(shape: [.init(utilization: 0, score: 0), .init(utilization: 100, score: 10)]))
        #expect(ratio.resources == [.init("cpu"), .init("memory")])
    }

    @Test func ignoredResourcesAreNotFiltered() throws {
        let profile = try #require(try load("""
            profiles:
            - pluginConfig:
              - name: NodeResourcesFit
                args: {ignoredResourceGroups: [example.com]}
            """).profiles.first)
        let snapshot = Snapshot(nodes: [NodeInfo(node: Fixtures.node("n1"))])
        let pod = Fixtures.pod(requests: ["cpu": "1", "example.com/gpu": "1"])
        #expect(try profile.framework.schedule(pod: pod, snapshot: snapshot).nodeName == "n1")
        let plain = try SchedulerProfiles.defaults().profiles[0].framework
        #expect(throws: FitError.self) { try plain.schedule(pod: pod, snapshot: snapshot) }
    }

    @Test func mostAllocatedPacksAndLeastAllocatedSpreads() throws {
        let profiles = try load("""
            profiles:
            - schedulerName: spread
            - schedulerName: pack
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy: {type: MostAllocated}
            """)
        let busy = Fixtures.pod("busy", requests: ["cpu": "2", "memory": "2Gi"])
        var placed = busy
        placed[path: ["spec", "nodeName"]] = "a"
        let snapshot = Snapshot(nodes: [Fixtures.node("a"), Fixtures.node("b")], pods: [placed])
        let pod = Fixtures.pod(requests: ["cpu": "1", "memory": "1Gi"])
        #expect(try profiles[schedulerName: "pack"]!.framework.schedule(pod: pod, snapshot: snapshot).nodeName == "a")
        #expect(try profiles[schedulerName: "spread"]!.framework.schedule(pod: pod, snapshot: snapshot).nodeName == "b")
    }

    @Test func nodeAffinityArgsAddRequiredAffinityToEveryPod() throws {
        let profile = try #require(try load("""
            profiles:
            - pluginConfig:
              - name: NodeAffinity
                args:
                  addedAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms:
                      - matchExpressions: [{key: pool, operator: In, values: [batch]}]
            """).profiles.first)
        let snapshot = Snapshot(nodes: [NodeInfo(node: Fixtures.node("a")),
                                        NodeInfo(node: Fixtures.node("b", labels: ["pool": "batch"]))])
        #expect(try profile.framework.schedule(pod: Fixtures.pod(), snapshot: snapshot).nodeName == "b")
        let lone = Snapshot(nodes: [NodeInfo(node: Fixtures.node("a"))])
        do {
            _ = try profile.framework.schedule(pod: Fixtures.pod(), snapshot: lone)
            Issue.record("scheduled")
        } catch {
            #expect(error.message == "0/1 nodes are available: 1 node(s) didn't match scheduler-enforced node affinity. "
                + "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..")
        }
    }

    @Test func interPodAffinityArgsReachThePlugin() throws {
        let profile = try #require(try load("""
            profiles:
            - pluginConfig:
              - name: InterPodAffinity
                args: {hardPodAffinityWeight: 7, ignorePreferredTermsOfExistingPods: true}
            """).profiles.first)
        let plugin = try #require(profile.framework.filters.first { $0.name == "InterPodAffinity" } as? InterPodAffinity)
        #expect(plugin.hardPodAffinityWeight == 7)
        #expect(plugin.ignorePreferredTermsOfExistingPods)
        let defaults = try #require(try SchedulerProfiles.defaults().profiles[0].framework.filters
            .first { $0.name == "InterPodAffinity" } as? InterPodAffinity)
        #expect(defaults.hardPodAffinityWeight == 1)
    }

    @Test func preemptionSpreadAndBalanceArgsReachThePlugins() throws {
        let profile = try #require(try load("""
            profiles:
            - pluginConfig:
              - name: DefaultPreemption
                args: {minCandidateNodesPercentage: 20, minCandidateNodesAbsolute: 7}
              - name: PodTopologySpread
                args:
                  defaultingType: List
                  defaultConstraints:
                  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
              - name: NodeResourcesBalancedAllocation
                args:
                  resources: [{name: cpu}, {name: example.com/gpu, weight: 1}]
            """).profiles.first)
        let preemption = try #require(profile.framework.postFilters.first as? DefaultPreemption)
        #expect(preemption.minCandidateNodesPercentage == 20)
        #expect(preemption.minCandidateNodesAbsolute == 7)
        let spread = try #require(profile.framework.filters.first { $0.name == "PodTopologySpread" } as? PodTopologySpread)
        #expect(spread.defaultingType == .list)
        #expect(spread.defaultConstraints == [["maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                               "whenUnsatisfiable": "ScheduleAnyway"]])
        let balance = try #require(profile.framework.scorers.first { $0.plugin.name == "NodeResourcesBalancedAllocation" }?
            .plugin as? NodeResourcesBalancedAllocation)
        #expect(balance.resources == ["cpu", "example.com/gpu"])
    }

    @Test func argsOfPluginsNotBuiltHereAreStillDefaultedAndValidated() throws {
        #expect(InterPodAffinityArgs().hardPodAffinityWeight == 1)
        #expect(DefaultPreemptionArgs().minCandidateNodesPercentage == 10)
        #expect(DefaultPreemptionArgs().minCandidateNodesAbsolute == 100)
        #expect(PodTopologySpreadArgs().effectiveDefaultConstraints == PodTopologySpreadArgs.systemDefaultConstraints)
        #expect(NodeResourcesBalancedAllocationArgs().resources == [.init("cpu"), .init("memory")])
        var reader = ConfigReader()
        let spread = PodTopologySpreadArgs(json: [
            "defaultingType": "List",
            "defaultConstraints": [["maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                    "whenUnsatisfiable": "DoNotSchedule"]],
        ], path: FieldPath("args"), reader: &reader)
        #expect(spread.effectiveDefaultConstraints == [.init(maxSkew: 1, topologyKey: "topology.kubernetes.io/zone",
                                                             whenUnsatisfiable: "DoNotSchedule")])
        #expect(spread.validate(path: FieldPath("args")).isEmpty)
        let preemption = DefaultPreemptionArgs(json: ["minCandidateNodesAbsolute": 5], path: FieldPath("args"), reader: &reader)
        #expect(preemption.minCandidateNodesAbsolute == 5 && preemption.minCandidateNodesPercentage == 10)
        #expect(reader.unknownFields.isEmpty && reader.typeErrors.isEmpty)
    }

    @Test(arguments: [
        ("""
         - name: InterPodAffinity
           args: {hardPodAffinityWeight: 101}
         """, "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]"),
        ("""
         - name: DefaultPreemption
           args: {minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0}
         """, "[profiles[0].pluginConfig[0].args.minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute, profiles[0].pluginConfig[0].args.minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage]"),
        ("""
         - name: DefaultPreemption
           args: {minCandidateNodesPercentage: 120}
         """, "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage: Invalid value: 120: not in valid range [0, 100]"),
        ("""
         - name: PodTopologySpread
           args:
             defaultConstraints:
             - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}
         """, "profiles[0].pluginConfig[0].args.defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty"),
        ("""
         - name: PodTopologySpread
           args:
             defaultingType: List
             defaultConstraints:
             - {maxSkew: 0, topologyKey: zone, whenUnsatisfiable: Sometimes}
             - {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: Sometimes}
         """, "[profiles[0].pluginConfig[0].args.defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf), profiles[0].pluginConfig[0].args.defaultConstraints[0].whenUnsatisfiable: Unsupported value: \"Sometimes\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\", profiles[0].pluginConfig[0].args.defaultConstraints[1].whenUnsatisfiable: Unsupported value: \"Sometimes\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\", profiles[0].pluginConfig[0].args.defaultConstraints[1]: Duplicate value: \"{zone, Sometimes}\"]"),
        ("""
         - name: NodeResourcesFit
           args:
             scoringStrategy: {type: Random}
         """, "profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: \"Random\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""),
        ("""
         - name: NodeResourcesFit
           args:
             scoringStrategy:
               type: MostAllocated
               resources: [{name: cpu, weight: 101}]
         """, "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of cpu not in valid range (0, 100]"),
        ("""
         - name: NodeResourcesFit
           args:
             scoringStrategy: {type: RequestedToCapacityRatio}
         """, "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio"),
        ("""
         - name: NodeResourcesFit
           args:
             scoringStrategy:
               type: RequestedToCapacityRatio
               requestedToCapacityRatio:
                 shape: [{utilization: 50, score: 11}, {utilization: 10, score: 1}]
         """, "[profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 10: values must be sorted in increasing order, profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0].score: Invalid value: 11: not in valid range [0, 10]]"),
        ("""
         - name: NodeResourcesFit
           args:
             scoringStrategy:
               type: LeastAllocated
               requestedToCapacityRatio: {shape: []}
         """, "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio"),
        ("""
         - name: NodeResourcesBalancedAllocation
           args:
             resources: [{name: cpu, weight: 2}, {name: cpu}]
         """, "[profiles[0].pluginConfig[0].args.resources[0].weight: Invalid value: 2: must be 1, profiles[0].pluginConfig[0].args.resources[1].name: Duplicate value: \"cpu\"]"),
        ("""
         - name: NodeAffinity
           args:
             addedAffinity:
               requiredDuringSchedulingIgnoredDuringExecution:
                 nodeSelectorTerms:
                 - matchExpressions: [{key: pool, operator: Near, values: [a]}]
         """, "profiles[0].pluginConfig[0].args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator"),
        ("""
         - name: ImageLocality
         - name: ImageLocality
         """, "profiles[0].pluginConfig[1]: Duplicate value: \"ImageLocality\""),
        ("""
         - name: NodeResourcesFit
           args: {scoringStrategy: {tpye: MostAllocated}}
         """, "strict decoding error: unknown field \"profiles[0].pluginConfig[0].args.scoringStrategy.tpye\""),
    ])
    func argsErrors(pluginConfig: String, expected: String) {
        let indented = pluginConfig.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        #expect(error("profiles:\n- pluginConfig:\n" + indented + "\n") == expected)
    }

    // MARK: errors

    @Test(arguments: [
        ("""
         profiles:
         - plugins:
             score:
               enabled: [{name: ImageLocality}, {name: Foo}]
         """, "profiles[0].plugins.score.enabled[1]: Invalid value: \"Foo\": plugin does not exist"),
        ("""
         profiles:
         - plugins:
             multiPoint:
               enabled: [{name: VolumeZone}]
         """, "profiles[0].plugins.multiPoint.enabled[0]: Invalid value: \"VolumeZone\": plugin is not implemented by this scheduler"),
        ("""
         profiles:
         - plugins:
             filter:
               enabled: [{name: ImageLocality}]
         """, "profiles[0].plugins.filter.enabled[0]: Invalid value: \"ImageLocality\": plugin does not extend the filter extension point"),
        ("""
         profiles:
         - plugins:
             filter:
               enabled: [{name: NodeName}, {name: NodeName}]
         """, "profiles[0].plugins.filter.enabled[1]: Duplicate value: \"NodeName\""),
        ("""
         profiles:
         - plugins:
             multiPoint:
               enabled: [{name: NodeName}, {name: NodeName}]
         """, "profiles[0].plugins.multiPoint.enabled[1]: Duplicate value: \"NodeName\""),
        ("""
         profiles:
         - plugins:
             score:
               enabled: [{name: ImageLocality, weight: -2}]
         """, "profiles[0].plugins.score.enabled[0].weight: Invalid value: -2: must be greater than or equal to 0"),
        ("""
         profiles:
         - plugins:
             filter:
               enabled: [{name: EBSLimits}]
         """, "profiles[0].plugins.filter.enabled[0]: Invalid value: \"EBSLimits\": was invalid in version \"kubescheduler.config.k8s.io/v1\" (KubeSchedulerConfiguration is version \"kubescheduler.config.k8s.io/v1\")"),
        ("""
         profiles:
         - plugins:
             multiPoint:
               enabled: [{name: EBSLimits}]
         """, "profiles[0].plugins.multiPoint.enabled[0]: Invalid value: \"EBSLimits\": plugin does not exist"),
        ("""
         profiles:
         - schedulerName: a
         - schedulerName: b
         - schedulerName: a
         """, "profiles[2].schedulerName: Duplicate value: \"profiles[0].schedulerName\""),
        ("""
         profiles:
         - schedulerName: a
         - percentageOfNodesToScore: 20
         """, "profiles[1].schedulerName: Required value"),
        ("""
         percentageOfNodesToScore: 101
         parallelism: 0
         """, "[parallelism: Invalid value: 0: should be an integer value greater than zero, percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]]"),
        ("""
         profiles:
         - percentageOfNodesToScore: -1
         """, "profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]"),
        ("""
         profiles:
         - schedulerName: a
         - schedulerName: b
           plugins:
             queueSort:
               disabled: [{name: "*"}]
         """, "profiles[1].plugins.queueSort: Invalid value: {\"disabled\":[{\"name\":\"*\"}],\"enabled\":[]}: must be the same for all profiles"),
        ("""
         profiles:
         - plugins:
             scroe:
               enabled: [{name: ImageLocality}]
         """, "strict decoding error: unknown field \"profiles[0].plugins.scroe\""),
        ("""
         parallelism: many
         """, "json: cannot unmarshal string into Go struct field parallelism of type int32"),
        ("""
         podInitialBackoffSeconds: 5
         podMaxBackoffSeconds: 2
         """, "podMaxBackoffSeconds: Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds"),
    ])
    func configurationErrors(body: String, expected: String) {
        #expect(error(body) == expected)
    }

    @Test func wrongKindOrVersionIsRefused() {
        #expect(error("", header: "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n")
            == "no kind \"KubeSchedulerConfiguration\" is registered for version \"kubescheduler.config.k8s.io/v1beta3\" in scheme \"kube-scheduler\"")
        #expect(error("", header: "apiVersion: kubescheduler.config.k8s.io/v1\nkind: Pod\n")
            == "couldn't decode as KubeSchedulerConfiguration, got Pod")
        #expect(error("profiles: [", header: "").hasPrefix("error converting YAML to JSON"))
    }

    // MARK: profiles

    @Test func severalProfilesWithTheirOwnPercentage() throws {
        let profiles = try load("""
            percentageOfNodesToScore: 30
            parallelism: 4
            podMaxBackoffSeconds: 20
            leaderElection:
              leaderElect: false
              leaseDuration: 30s
            profiles:
            - schedulerName: default-scheduler
            - schedulerName: fast
              percentageOfNodesToScore: 5
              plugins:
                score:
                  disabled: [{name: "*"}]
            """)
        #expect(profiles.profiles.map(\.schedulerName) == ["default-scheduler", "fast"])
        #expect(profiles[schedulerName: "default-scheduler"]?.percentageOfNodesToScore == 30)
        #expect(profiles[schedulerName: "fast"]?.percentageOfNodesToScore == 5)
        #expect(profiles.frameworks["default-scheduler"]?.percentageOfNodesToScore == 30)
        #expect(profiles.frameworks["fast"]?.percentageOfNodesToScore == 5)
        #expect(profiles[schedulerName: "fast"]?.framework.scorers.isEmpty == true)
        #expect(profiles[schedulerName: "nobody"] == nil)
        #expect(profiles.parallelism == 4)
        #expect(profiles.podMaxBackoff == .seconds(20))
        #expect(profiles.leaderElection.leaderElect == false)
        #expect(profiles.leaderElection.leaseDuration == .seconds(30))
    }

    @Test func prioritySortMayBeNamedBecauseTheQueueDoesItsJob() throws {
        let profiles = try load("""
            profiles:
            - schedulerName: a
              plugins:
                queueSort:
                  enabled: [{name: PrioritySort}]
                  disabled: [{name: "*"}]
            - schedulerName: b
              plugins:
                queueSort:
                  enabled: [{name: PrioritySort}]
                  disabled: [{name: "*"}]
            """)
        #expect(profiles.profiles.map(\.schedulerName) == ["a", "b"])
    }

    @Test func registryAcceptsPluginsBuiltElsewhere() throws {
        struct Binder: BindPlugin {
            let name = "DefaultBinder"
            func bind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status { .success }
        }
        var registry = PluginRegistry.inTree
        registry.register("DefaultBinder") { Binder() }
        let profile = try SchedulerProfiles.defaults(registry: registry).profiles[0]
        #expect(profile.pluginNames[.bind] == ["DefaultBinder"])
        #expect(profile.framework.binders.map(\.name) == ["DefaultBinder"])
    }
}
