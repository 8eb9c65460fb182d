/// The extension points a profile's `plugins` names, spelt as the file's fields.
public enum ExtensionPoint: String, CaseIterable, Sendable, Hashable {
    case multiPoint, preEnqueue, queueSort, preFilter, filter, postFilter, preScore, score
    case reserve, permit, preBind, bind, postBind
}

/// One `enabled` entry: a plugin and, for Score, its weight (nil when the file gives none).
public struct PluginEntry: Sendable, Hashable {
    public var name: String
    public var weight: Int32?

    public init(_ name: String, weight: Int32? = nil) {
        self.name = name
        self.weight = weight
    }
}

/// An extension point's `enabled` and `disabled` lists (`disabled` may hold `"*"`).
public struct PluginSet: Sendable, Hashable {
    public var enabled: [PluginEntry]
    public var disabled: [String]

    public init(enabled: [PluginEntry] = [], disabled: [String] = []) {
        self.enabled = enabled
        self.disabled = disabled
    }

    /// Upstream's `mergePluginSet`: defaults keep their order unless disabled (or all are, with
    /// `"*"`); a default the file enables again is replaced in place by the file's entry (so its
    /// weight is the file's); the file's other entries follow, duplicates included, which the
    /// framework then refuses.
    func merged(onto defaults: PluginSet) -> PluginSet {
        let disabledNames = Set(disabled + defaults.disabled)
        var custom: [String: (index: Int, entry: PluginEntry)] = [:]
        for (index, entry) in enabled.enumerated() { custom[entry.name] = (index, entry) }
        var replaced: Set<Int> = []
        var result: [PluginEntry] = []
        if !disabledNames.contains("*") {
            for entry in defaults.enabled where !disabledNames.contains(entry.name) {
                if let override = custom[entry.name] {
                    result.append(override.entry)
                    replaced.insert(override.index)
                } else {
                    result.append(entry)
                }
            }
        }
        for (index, entry) in enabled.enumerated() where !replaced.contains(index) {
            result.append(entry)
        }
        return PluginSet(enabled: result, disabled: disabled + defaults.disabled)
    }
}

/// A profile's plugin sets per extension point.
public struct PluginSets: Sendable, Hashable {
    public var sets: [ExtensionPoint: PluginSet]

    public init(_ sets: [ExtensionPoint: PluginSet] = [:]) {
        self.sets = sets
    }

    public subscript(point: ExtensionPoint) -> PluginSet {
        get { sets[point] ?? PluginSet() }
        set { sets[point] = newValue }
    }

    /// Upstream's v1 default plugins: everything is enabled through `multiPoint`, with the Score
    /// weights upstream chose. DynamicResources is in the list because its feature gate is on by
    /// default since 1.34, just before DefaultPreemption (freeing an idle claim beats evicting).
    public static let upstreamDefaults = PluginSets([
        .multiPoint: PluginSet(enabled: [
            PluginEntry("SchedulingGates"),
            PluginEntry("PrioritySort"),
            PluginEntry("NodeUnschedulable"),
            PluginEntry("NodeName"),
            PluginEntry("TaintToleration", weight: 3),
            PluginEntry("NodeAffinity", weight: 2),
            PluginEntry("NodePorts"),
            PluginEntry("NodeResourcesFit", weight: 1),
            PluginEntry("VolumeRestrictions"),
            PluginEntry("NodeVolumeLimits"),
            PluginEntry("VolumeBinding"),
            PluginEntry("VolumeZone"),
            PluginEntry("PodTopologySpread", weight: 2),
            PluginEntry("InterPodAffinity", weight: 2),
            PluginEntry("DynamicResources"),
            PluginEntry("DefaultPreemption"),
            PluginEntry("NodeResourcesBalancedAllocation", weight: 1),
            PluginEntry("ImageLocality", weight: 1),
            PluginEntry("DefaultBinder"),
        ]),
    ])

    /// The file's sets merged onto upstream's defaults, point by point.
    func merged(onto defaults: PluginSets) -> PluginSets {
        var result = PluginSets()
        for point in ExtensionPoint.allCases {
            let merged = self[point].merged(onto: defaults[point])
            if !merged.enabled.isEmpty || !merged.disabled.isEmpty { result[point] = merged }
        }
        return result
    }

    /// Every plugin enabled at any point, in first-seen order.
    var enabledNames: [String] {
        var seen: Set<String> = []
        var names: [String] = []
        for point in ExtensionPoint.allCases {
            for entry in self[point].enabled where seen.insert(entry.name).inserted { names.append(entry.name) }
        }
        return names
    }
}
