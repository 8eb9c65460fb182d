public import KyvernAPI

/// A `kubescheduler.config.k8s.io/v1` KubeSchedulerConfiguration as read from the file, before
/// defaulting. Fields the scheduler has no use for (client connection, profiling) are accepted
/// and ignored, as a kube-scheduler file must load unchanged.
public struct KubeSchedulerConfiguration: Sendable, Hashable {
    public static let apiVersion = "kubescheduler.config.k8s.io/v1"
    public static let kind = "KubeSchedulerConfiguration"
    public static let defaultSchedulerName = "default-scheduler"

    public var parallelism: Int32?
    public var percentageOfNodesToScore: Int32?
    public var podInitialBackoffSeconds: Int64?
    public var podMaxBackoffSeconds: Int64?
    public var leaderElection: LeaderElection
    public var profiles: [Profile]
    /// Extenders are not supported; kept to refuse a file that relies on them.
    var extenderCount = 0

    public struct Profile: Sendable, Hashable {
        public var schedulerName: String?
        public var percentageOfNodesToScore: Int32?
        public var plugins: PluginSets?
        public var pluginConfig: [PluginConfig]

        public init(schedulerName: String? = nil, percentageOfNodesToScore: Int32? = nil,
                    plugins: PluginSets? = nil, pluginConfig: [PluginConfig] = []) {
            self.schedulerName = schedulerName
            self.percentageOfNodesToScore = percentageOfNodesToScore
            self.plugins = plugins
            self.pluginConfig = pluginConfig
        }
    }

    /// One `pluginConfig` entry; `args` stays raw until the plugin's args type reads it.
    public struct PluginConfig: Sendable, Hashable {
        public var name: String
        public var args: JSONValue?

        public init(name: String, args: JSONValue?) {
            self.name = name
            self.args = args
        }
    }

    /// The `leaderElection` block, with upstream's defaults.
    public struct LeaderElection: Sendable, Hashable {
        public var leaderElect = true
        public var leaseDuration: Duration = .seconds(15)
        public var renewDeadline: Duration = .seconds(10)
        public var retryPeriod: Duration = .seconds(2)
        public var resourceNamespace = "kube-system"
        public var resourceName = "kube-scheduler"

        public init() {}
    }

    public init(profiles: [Profile] = []) {
        self.profiles = profiles
        leaderElection = LeaderElection()
    }
}
