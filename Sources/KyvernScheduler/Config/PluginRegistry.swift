public import KyvernAPI

/// Plugin names mapped to constructors taking their (defaulted, validated) args.
///
/// The configuration names plugins; the registry is what turns a name into a plugin, so the
/// scheduler can add plugins that need I/O (a binder holding the client) beside the pure ones.
package struct PluginRegistry: Sendable {
    struct Entry: Sendable {
        /// Reads `args` (nil: the plugin's defaults) and checks them; causes are collected.
        let readArgs: @Sendable (JSONValue?, FieldPath, inout ConfigReader, inout [APIError.Cause]) -> any PluginArgs
        let build: @Sendable (any PluginArgs) throws -> any Plugin
    }

    private(set) var entries: [String: Entry] = [:]

    package init() {}

    /// Registers `name`; `factory` gets the plugin's args of type `Args`.
    package mutating func register<Args: PluginArgs>(_ name: String, args: Args.Type,
                                                     _ factory: @escaping @Sendable (Args) throws -> any Plugin) {
        entries[name] = Entry(
            readArgs: { json, path, reader, causes in
                let args = json.map { Args(json: $0, path: path, reader: &reader) } ?? Args()
                causes += args.validate(path: path)
                return args
            },
            build: { args in try factory(args as! Args) })
    }

    /// Registers a plugin that takes no args.
    package mutating func register(_ name: String, _ factory: @escaping @Sendable () throws -> any Plugin) {
        register(name, args: NoArgs.self) { _ in try factory() }
    }

    package func contains(_ name: String) -> Bool { entries[name] != nil }

    package var names: [String] { entries.keys.sorted() }

    /// Upstream's in-tree plugin names. One the registry lacks is left out quietly when it comes
    /// from the defaults, and refused as "not implemented" when a file names it.
    package static let upstreamNames: Set<String> = Set(PluginSets.upstreamDefaults.enabledNames)
        .union(["NodeResourcesFit", "InterPodAffinity", "PodTopologySpread", "DefaultPreemption"])

    /// Upstream plugins whose job the scheduler does itself, so a file may name them: the queue
    /// always orders pods by priority, then by arrival (PrioritySort).
    package static let builtIn: Set<String> = ["PrioritySort"]

    /// Upstream's args type per plugin: a file's args are read and validated with it even when
    /// the plugin itself is missing here, as upstream validates them before building plugins.
    package static let upstreamArgs: [String: any PluginArgs.Type] = [
        "NodeResourcesFit": NodeResourcesFitArgs.self,
        "NodeResourcesBalancedAllocation": NodeResourcesBalancedAllocationArgs.self,
        "InterPodAffinity": InterPodAffinityArgs.self,
        "PodTopologySpread": PodTopologySpreadArgs.self,
        "DefaultPreemption": DefaultPreemptionArgs.self,
        "NodeAffinity": NodeAffinityArgs.self,
        "VolumeBinding": VolumeBindingArgs.self,
    ]

    /// The pure plugins of `KyvernScheduler`, with their args.
    package static var inTree: PluginRegistry {
        var registry = PluginRegistry()
        registry.register("NodeUnschedulable") { NodeUnschedulable() }
        registry.register("NodeName") { NodeName() }
        registry.register("TaintToleration") { TaintToleration() }
        registry.register("NodeAffinity", args: NodeAffinityArgs.self) { args in
            NodeAffinity(addedRequired: args.requiredTerms, addedPreferred: args.preferred.map { ($0.weight, $0.term) })
        }
        registry.register("NodePorts") { NodePorts() }
        registry.register("NodeResourcesFit", args: NodeResourcesFitArgs.self) { args in
            NodeResourcesFit(strategy: args.strategy, resources: args.resources,
                             ignoredResources: Set(args.ignoredResources),
                             ignoredResourceGroups: Set(args.ignoredResourceGroups))
        }
        registry.register("ImageLocality") { ImageLocality() }
        registry.register("PodTopologySpread", args: PodTopologySpreadArgs.self) { args in
            PodTopologySpread(defaultingType: args.defaultingType == "List" ? .list : .system,
                              defaultConstraints: args.defaultConstraintsJSON)
        }
        registry.register("DefaultPreemption", args: DefaultPreemptionArgs.self) { args in
            DefaultPreemption(minCandidateNodesPercentage: Int(args.minCandidateNodesPercentage),
                              minCandidateNodesAbsolute: Int(args.minCandidateNodesAbsolute))
        }
        registry.register("NodeResourcesBalancedAllocation", args: NodeResourcesBalancedAllocationArgs.self) { args in
            NodeResourcesBalancedAllocation(resources: args.resources.map(\.name))
        }
        registry.register("InterPodAffinity", args: InterPodAffinityArgs.self) { args in
            InterPodAffinity(hardPodAffinityWeight: Int64(args.hardPodAffinityWeight),
                             ignorePreferredTermsOfExistingPods: args.ignorePreferredTermsOfExistingPods)
        }
        return registry
    }
}
