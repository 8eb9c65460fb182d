public import KyvernAPI
public import Logging

/// One scheduling profile, ready to run: the pods whose `spec.schedulerName` it answers to, its
/// framework, and how many nodes it scores.
public struct SchedulerProfile: Sendable {
    public var schedulerName: String
    public var framework: Framework
    /// nil: upstream's adaptive share (50% minus 1% per 125 nodes, at least 5%).
    public var percentageOfNodesToScore: Int32?
    /// The plugins at each extension point, in the order they run (for logs and `--help`-style
    /// listing; the framework holds the plugins themselves).
    public var pluginNames: [ExtensionPoint: [String]]
}

/// Every profile of a KubeSchedulerConfiguration, plus the scheduler-wide settings.
public struct SchedulerProfiles: Sendable {
    public var profiles: [SchedulerProfile]
    public var parallelism: Int32
    public var podInitialBackoff: Duration
    public var podMaxBackoff: Duration
    public var leaderElection: KubeSchedulerConfiguration.LeaderElection

    /// Each profile's framework by scheduler name, as the scheduler looks them up.
    public var frameworks: [String: Framework] {
        Dictionary(profiles.map { ($0.schedulerName, $0.framework) }, uniquingKeysWith: { first, _ in first })
    }

    /// The profile a pod asks for (an empty `spec.schedulerName` means the default scheduler).
    public subscript(schedulerName name: String) -> SchedulerProfile? {
        let wanted = name.isEmpty ? KubeSchedulerConfiguration.defaultSchedulerName : name
        return profiles.first { $0.schedulerName == wanted }
    }

    /// Loads a `--config` file's text.
    package static func load(yaml: String, registry: PluginRegistry = .inTree,
                             logger: Logger = Logger(label: "kyvern.scheduler.config")) throws(SchedulerConfigError) -> SchedulerProfiles {
        try build(KubeSchedulerConfiguration(yaml: yaml), registry: registry, logger: logger)
    }

    /// The profiles kube-scheduler runs without a `--config` file.
    package static func defaults(registry: PluginRegistry = .inTree,
                                 logger: Logger = Logger(label: "kyvern.scheduler.config")) throws(SchedulerConfigError) -> SchedulerProfiles {
        try build(KubeSchedulerConfiguration(), registry: registry, logger: logger)
    }

    /// Defaults, validates and builds every profile, as kube-scheduler does at start-up.
    package static func build(_ configuration: KubeSchedulerConfiguration, registry: PluginRegistry,
                              logger: Logger) throws(SchedulerConfigError) -> SchedulerProfiles {
        var config = configuration
        if config.profiles.isEmpty { config.profiles = [.init()] }
        // Upstream names only a lone profile; several must each be named.
        if config.profiles.count == 1 && config.profiles[0].schedulerName == nil {
            config.profiles[0].schedulerName = KubeSchedulerConfiguration.defaultSchedulerName
        }
        var causes = ConfigValidation.validate(config)
        var reader = ConfigReader()
        var built: [SchedulerProfile] = []
        for (i, profile) in config.profiles.enumerated() {
            let path = FieldPath("profiles").index(i)
            let builder = ProfileBuilder(profile: profile, path: path, registry: registry, logger: logger)
            let percentage = profile.percentageOfNodesToScore ?? config.percentageOfNodesToScore
            if let result = builder.build(percentageOfNodesToScore: percentage, reader: &reader, causes: &causes) {
                built.append(SchedulerProfile(
                    schedulerName: profile.schedulerName ?? "",
                    framework: result.framework,
                    percentageOfNodesToScore: percentage,
                    pluginNames: result.names))
            }
        }
        try reader.check()
        if !causes.isEmpty { throw SchedulerConfigError(causes: causes) }
        return SchedulerProfiles(
            profiles: built,
            parallelism: config.parallelism ?? 16,
            podInitialBackoff: .seconds(config.podInitialBackoffSeconds ?? 1),
            podMaxBackoff: .seconds(config.podMaxBackoffSeconds ?? 10),
            leaderElection: config.leaderElection)
    }
}
