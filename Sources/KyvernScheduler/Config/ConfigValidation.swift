public import KyvernAPI

/// Upstream's `ValidateKubeSchedulerConfiguration` for the fields this scheduler reads; plugin
/// args are checked while profiles are built, by each args type.
enum ConfigValidation {
    static func validate(_ config: KubeSchedulerConfiguration) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let parallelism = config.parallelism ?? 16
        if parallelism <= 0 {
            causes.append(.invalid("parallelism", .int(Int64(parallelism)), "should be an integer value greater than zero"))
        }
        var seen: [String: Int] = [:]
        for (i, profile) in config.profiles.enumerated() {
            let path = FieldPath("profiles").index(i)
            let name = profile.schedulerName ?? ""
            if name.isEmpty { causes.append(.required(path.child("schedulerName").description)) }
            causes += percentage(profile.percentageOfNodesToScore, path.child("percentageOfNodesToScore"))
            for point in ExtensionPoint.allCases where point != .multiPoint {
                let setPath = path.child("plugins", point.rawValue)
                for (j, entry) in (profile.plugins?[point].enabled ?? []).enumerated()
                where removedPlugins.contains(entry.name) {
                    causes.append(.invalid(setPath.child("enabled").index(j).description, .string(entry.name),
                                           "was invalid in version \"\(KubeSchedulerConfiguration.apiVersion)\" (KubeSchedulerConfiguration is version \"\(KubeSchedulerConfiguration.apiVersion)\")"))
                }
            }
            if let first = seen[name] {
                causes.append(.duplicate(path.child("schedulerName").description,
                                         .string(FieldPath("profiles").index(first).child("schedulerName").description)))
            } else {
                seen[name] = i
            }
        }
        causes += commonQueueSort(config.profiles)
        causes += percentage(config.percentageOfNodesToScore, FieldPath("percentageOfNodesToScore"))
        let initial = config.podInitialBackoffSeconds ?? 1
        let maximum = config.podMaxBackoffSeconds ?? 10
        if initial <= 0 {
            causes.append(.invalid("podInitialBackoffSeconds", .int(initial), "must be greater than 0"))
        }
        if maximum < initial {
            causes.append(.invalid("podMaxBackoffSeconds", .int(maximum), "must be greater than or equal to PodInitialBackoffSeconds"))
        }
        if config.extenderCount > 0 {
            causes.append(.forbidden("extenders", "scheduler extenders are not supported"))
        }
        return causes
    }

    /// Plugins removed from the v1 API (the volume-limit plugins of clouds).
    static let removedPlugins: Set<String> = ["AzureDiskLimits", "CinderLimits", "EBSLimits", "GCEPDLimits"]

    static func percentage(_ value: Int32?, _ path: FieldPath) -> [APIError.Cause] {
        guard let value, value < 0 || value > 100 else { return [] }
        return [.invalid(path.description, .int(Int64(value)), "not in valid range [0-100]")]
    }

    /// One queue serves every profile, so they must sort it the same way.
    static func commonQueueSort(_ profiles: [KubeSchedulerConfiguration.Profile]) -> [APIError.Cause] {
        guard let first = profiles.first else { return [] }
        var causes: [APIError.Cause] = []
        let canon = first.plugins?[.queueSort] ?? PluginSet()
        if canon.enabled.count > 1 {
            causes.append(.invalid("profiles[0].plugins.queueSort.Enabled", .int(Int64(canon.enabled.count)),
                                   "only one queue sort plugin can be enabled"))
        }
        for (i, profile) in profiles.enumerated().dropFirst() {
            let current = profile.plugins?[.queueSort] ?? PluginSet()
            if current != canon {
                causes.append(.invalid(FieldPath("profiles").index(i).child("plugins", "queueSort").description,
                                       describe(current), "must be the same for all profiles"))
            }
        }
        return causes
    }

    private static func describe(_ set: PluginSet) -> JSONValue {
        .object([
            "enabled": .array(set.enabled.map { .object(["name": .string($0.name)]) }),
            "disabled": .array(set.disabled.map { .object(["name": .string($0)]) }),
        ])
    }
}
