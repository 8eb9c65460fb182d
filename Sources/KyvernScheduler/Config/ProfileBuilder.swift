public import KyvernAPI
import Logging

/// Builds one profile's framework from its merged plugin sets, following upstream's
/// `NewFramework`: plugins named at a specific extension point keep their place there and
/// override the same plugin from `multiPoint`; `multiPoint` plugins then fill every point they
/// implement unless that point disables them (or everything, with `"*"`).
struct ProfileBuilder {
    let profile: KubeSchedulerConfiguration.Profile
    let path: FieldPath
    let registry: PluginRegistry
    let logger: Logger

    /// The points the framework runs for a pod; queue sort, pre-enqueue and post-bind belong to
    /// the queue and driver, which sort by priority and need no plugin.
    static let frameworkPoints: [ExtensionPoint] = [
        .preFilter, .filter, .postFilter, .preScore, .score, .reserve, .permit, .preBind, .bind,
    ]

    struct Result {
        var framework: Framework
        var names: [ExtensionPoint: [String]]
    }

    /// `percentageOfNodesToScore`: the profile's, else the file's (nil: adaptive).
    func build(percentageOfNodesToScore: Int32?, reader: inout ConfigReader,
               causes: inout [APIError.Cause]) -> Result? {
        let before = causes.count
        let custom = profile.plugins ?? PluginSets()
        let merged = custom.merged(onto: .upstreamDefaults)
        checkNamedPlugins(custom, &causes)
        let args = readPluginConfig(&reader, &causes)

        var plugins: [String: any Plugin] = [:]
        for name in merged.enabledNames {
            guard let entry = registry.entries[name] else {
                if PluginRegistry.builtIn.contains(name) { continue }
                // Named by the file it was refused above; so it comes from upstream's defaults.
                logger.debug("Default plugin not implemented; left out",
                             metadata: ["plugin": "\(name)", "profile": "\(profile.schedulerName ?? "")"])
                continue
            }
            let pluginArgs = args[name] ?? entry.readArgs(nil, path, &reader, &causes)
            do {
                plugins[name] = try entry.build(pluginArgs)
            } catch {
                causes.append(.invalid(path.child("plugins").description, .string(name),
                                       "initializing plugin \(goQuote(name)): \(error)"))
            }
        }
        guard causes.count == before else { return nil }

        var lists: [ExtensionPoint: [any Plugin]] = [:]
        for point in Self.frameworkPoints {
            guard let list = expand(point, merged: merged, custom: custom, plugins: plugins, causes: &causes) else { continue }
            lists[point] = list
        }
        let weights = scoreWeights(merged)
        guard causes.count == before else { return nil }

        // Every plugin once, binding-cycle points first so their order is the configured one
        // (the framework finds Reserve/Permit/PreBind/Bind plugins by conformance in this list).
        var all: [any Plugin] = []
        var seen: Set<String> = []
        for point in [ExtensionPoint.reserve, .permit, .preBind, .bind, .preFilter, .filter, .postFilter, .preScore, .score] {
            for plugin in lists[point] ?? [] where seen.insert(plugin.name).inserted { all.append(plugin) }
        }
        let framework = Framework(
            all: all,
            preFilters: (lists[.preFilter] ?? []).compactMap { $0 as? any PreFilterPlugin },
            filters: (lists[.filter] ?? []).compactMap { $0 as? any FilterPlugin },
            postFilters: (lists[.postFilter] ?? []).compactMap { $0 as? any PostFilterPlugin },
            preScores: (lists[.preScore] ?? []).compactMap { $0 as? any PreScorePlugin },
            scorers: (lists[.score] ?? []).compactMap { $0 as? any ScorePlugin }.map { ($0, weights[$0.name] ?? 1) },
            percentageOfNodesToScore: percentageOfNodesToScore.map(Int.init))
        return Result(framework: framework, names: lists.mapValues { $0.map(\.name) })
    }

    /// Plugins the file enables must exist here; weights must not be negative.
    private func checkNamedPlugins(_ custom: PluginSets, _ causes: inout [APIError.Cause]) {
        for point in ExtensionPoint.allCases {
            for (j, entry) in custom[point].enabled.enumerated() {
                let entryPath = path.child("plugins", point.rawValue, "enabled").index(j)
                // Reported by validation, except under multiPoint, which upstream's validation skips.
                if point != .multiPoint && ConfigValidation.removedPlugins.contains(entry.name) { continue }
                if !registry.contains(entry.name) && !PluginRegistry.builtIn.contains(entry.name) {
                    let detail = PluginRegistry.upstreamNames.contains(entry.name)
                        ? "plugin is not implemented by this scheduler" : "plugin does not exist"
                    causes.append(.invalid(entryPath.description, .string(entry.name), detail))
                }
                if let weight = entry.weight, weight < 0 {
                    causes.append(.invalid(entryPath.child("weight").description, .int(Int64(weight)),
                                           "must be greater than or equal to 0"))
                }
            }
        }
    }

    /// Reads each `pluginConfig` entry with its plugin's args type; duplicates are refused, and
    /// args of plugins this scheduler lacks are ignored, as upstream ignores out-of-tree args.
    private func readPluginConfig(_ reader: inout ConfigReader, _ causes: inout [APIError.Cause]) -> [String: any PluginArgs] {
        var args: [String: any PluginArgs] = [:]
        for (i, config) in profile.pluginConfig.enumerated() {
            let configPath = path.child("pluginConfig").index(i)
            if args[config.name] != nil || profile.pluginConfig[..<i].contains(where: { $0.name == config.name }) {
                causes.append(.duplicate(configPath.description, .string(config.name)))
                continue
            }
            if ConfigValidation.removedPlugins.contains(config.name) {
                causes.append(.invalid(configPath.description, .string(config.name),
                                       "was invalid in version \"\(KubeSchedulerConfiguration.apiVersion)\" (KubeSchedulerConfiguration is version \"\(KubeSchedulerConfiguration.apiVersion)\")"))
                continue
            }
            guard let entry = registry.entries[config.name] else {
                if let type = PluginRegistry.upstreamArgs[config.name] {
                    let argsPath = configPath.child("args")
                    let args = config.args.map { type.init(json: $0, path: argsPath, reader: &reader) } ?? type.init()
                    causes += args.validate(path: argsPath)
                }
                let level: Logger.Level = PluginRegistry.upstreamNames.contains(config.name) ? .debug : .notice
                logger.log(level: level, "Ignoring args of a plugin this scheduler does not have",
                           metadata: ["plugin": "\(config.name)", "profile": "\(profile.schedulerName ?? "")"])
                continue
            }
            args[config.name] = entry.readArgs(config.args, configPath.child("args"), &reader, &causes)
        }
        return args
    }

    /// One extension point's plugins in upstream's order: the point's own entries that also come
    /// from `multiPoint` (overrides), then the `multiPoint` ones, then the point's other entries.
    private func expand(_ point: ExtensionPoint, merged: PluginSets, custom: PluginSets,
                        plugins: [String: any Plugin], causes: inout [APIError.Cause]) -> [any Plugin]? {
        let set = merged[point]
        let setPath = path.child("plugins", point.rawValue)
        var explicit: [String] = []
        for (j, entry) in set.enabled.enumerated() {
            guard let plugin = plugins[entry.name] else { continue }
            let entryPath = setPath.child("enabled").index(j).description
            if !Self.implements(plugin, point) {
                causes.append(.invalid(entryPath, .string(entry.name), "plugin does not extend the \(point.rawValue) extension point"))
            } else if explicit.contains(entry.name) {
                causes.append(.duplicate(entryPath, .string(entry.name)))
            } else {
                explicit.append(entry.name)
            }
        }
        var overrides: Set<String> = []
        var fromMultiPoint: [String] = []
        let disabled = Set(set.disabled)
        if !disabled.contains("*") {
            for entry in merged[.multiPoint].enabled {
                guard let plugin = plugins[entry.name], Self.implements(plugin, point),
                      !disabled.contains(entry.name) else { continue }
                if explicit.contains(entry.name) {
                    overrides.insert(entry.name)
                } else if fromMultiPoint.contains(entry.name) {
                    let index = custom[.multiPoint].enabled.lastIndex { $0.name == entry.name } ?? 0
                    // Reported once, though the plugin may extend several points.
                    let cause = APIError.Cause.duplicate(path.child("plugins", "multiPoint", "enabled").index(index).description,
                                                         .string(entry.name))
                    if !causes.contains(cause) { causes.append(cause) }
                    return nil
                } else {
                    fromMultiPoint.append(entry.name)
                }
            }
        }
        let order = explicit.filter(overrides.contains) + fromMultiPoint + explicit.filter { !overrides.contains($0) }
        return order.compactMap { plugins[$0] }
    }

    /// Upstream's `getScoreWeights`: a weight from the `score` set wins over `multiPoint`'s, and
    /// an absent or zero weight counts as 1.
    private func scoreWeights(_ merged: PluginSets) -> [String: Int64] {
        var weights: [String: Int64] = [:]
        for entry in merged[.score].enabled + merged[.multiPoint].enabled where weights[entry.name] == nil {
            let weight = Int64(entry.weight ?? 0)
            weights[entry.name] = weight == 0 ? 1 : weight
        }
        return weights
    }

    static func implements(_ plugin: any Plugin, _ point: ExtensionPoint) -> Bool {
        switch point {
        case .preFilter: plugin is any PreFilterPlugin
        case .filter: plugin is any FilterPlugin
        case .postFilter: plugin is any PostFilterPlugin
        case .preScore: plugin is any PreScorePlugin
        case .score: plugin is any ScorePlugin
        case .reserve: plugin is any ReservePlugin
        case .permit: plugin is any PermitPlugin
        case .preBind: plugin is any PreBindPlugin
        case .bind: plugin is any BindPlugin
        case .multiPoint, .preEnqueue, .queueSort, .postBind: true
        }
    }
}
