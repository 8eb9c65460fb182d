public import KyvernAPI

extension KubeSchedulerConfiguration {
    static let knownFields: Set<String> = [
        "apiVersion", "kind", "parallelism", "leaderElection", "clientConnection", "healthzBindAddress",
        "metricsBindAddress", "enableProfiling", "enableContentionProfiling", "percentageOfNodesToScore",
        "podInitialBackoffSeconds", "podMaxBackoffSeconds", "profiles", "extenders", "delayCacheUntilActive",
    ]

    /// Reads the file's document strictly: wrong apiVersion/kind, unknown fields and mistyped
    /// values are refused with upstream's wording.
    public init(yaml: String) throws(SchedulerConfigError) {
        try self.init(json: try YAMLDocument.parse(yaml))
    }

    public init(json document: JSONValue) throws(SchedulerConfigError) {
        guard let top = document.objectValue else {
            throw SchedulerConfigError(message: "couldn't decode as KubeSchedulerConfiguration: not an object")
        }
        let apiVersion = top["apiVersion"]?.stringValue ?? ""
        let kind = top["kind"]?.stringValue ?? ""
        if apiVersion.isEmpty || kind.isEmpty {
            throw SchedulerConfigError(message: "Object 'Kind' is missing in '\(document.jsonString)'")
        }
        guard apiVersion == Self.apiVersion else {
            throw SchedulerConfigError(message: "no kind \"\(kind)\" is registered for version \"\(apiVersion)\" in scheme \"kube-scheduler\"")
        }
        guard kind == Self.kind else {
            throw SchedulerConfigError(message: "couldn't decode as KubeSchedulerConfiguration, got \(kind)")
        }
        var reader = ConfigReader()
        let root = FieldPath("")
        let fields = reader.object(document, root, known: Self.knownFields) ?? [:]
        self.init()
        parallelism = reader.int32(fields["parallelism"], root.child("parallelism"))
        percentageOfNodesToScore = reader.int32(fields["percentageOfNodesToScore"], root.child("percentageOfNodesToScore"))
        podInitialBackoffSeconds = reader.int64(fields["podInitialBackoffSeconds"], root.child("podInitialBackoffSeconds"))
        podMaxBackoffSeconds = reader.int64(fields["podMaxBackoffSeconds"], root.child("podMaxBackoffSeconds"))
        leaderElection = Self.leaderElection(fields["leaderElection"], root.child("leaderElection"), &reader)
        extenderCount = reader.array(fields["extenders"], root.child("extenders"))?.count ?? 0
        for (i, item) in (reader.array(fields["profiles"], root.child("profiles")) ?? []).enumerated() {
            profiles.append(Self.profile(item, root.child("profiles").index(i), &reader))
        }
        try reader.check()
    }

    private static func profile(_ value: JSONValue, _ path: FieldPath, _ reader: inout ConfigReader) -> Profile {
        let fields = reader.object(value, path, known: ["schedulerName", "percentageOfNodesToScore",
                                                        "plugins", "pluginConfig"]) ?? [:]
        var profile = Profile()
        profile.schedulerName = reader.string(fields["schedulerName"], path.child("schedulerName"))
        profile.percentageOfNodesToScore = reader.int32(fields["percentageOfNodesToScore"],
                                                        path.child("percentageOfNodesToScore"))
        let pluginsPath = path.child("plugins")
        if let plugins = reader.object(fields["plugins"], pluginsPath,
                                       known: Set(ExtensionPoint.allCases.map(\.rawValue))) {
            var sets = PluginSets()
            for point in ExtensionPoint.allCases {
                if let set = pluginSet(plugins[point.rawValue], pluginsPath.child(point.rawValue), &reader) {
                    sets[point] = set
                }
            }
            profile.plugins = sets
        }
        for (i, item) in (reader.array(fields["pluginConfig"], path.child("pluginConfig")) ?? []).enumerated() {
            let itemPath = path.child("pluginConfig").index(i)
            let entry = reader.object(item, itemPath, known: ["name", "args"]) ?? [:]
            let name = reader.string(entry["name"], itemPath.child("name")) ?? ""
            let args = entry["args"].flatMap { $0.isNull ? nil : $0 }
            profile.pluginConfig.append(PluginConfig(name: name, args: args))
        }
        return profile
    }

    private static func pluginSet(_ value: JSONValue?, _ path: FieldPath, _ reader: inout ConfigReader) -> PluginSet? {
        guard let fields = reader.object(value, path, known: ["enabled", "disabled"]) else { return nil }
        var set = PluginSet()
        for (i, item) in (reader.array(fields["enabled"], path.child("enabled")) ?? []).enumerated() {
            let itemPath = path.child("enabled").index(i)
            let entry = reader.object(item, itemPath, known: ["name", "weight"]) ?? [:]
            set.enabled.append(PluginEntry(reader.string(entry["name"], itemPath.child("name")) ?? "",
                                           weight: reader.int32(entry["weight"], itemPath.child("weight"))))
        }
        for (i, item) in (reader.array(fields["disabled"], path.child("disabled")) ?? []).enumerated() {
            let itemPath = path.child("disabled").index(i)
            let entry = reader.object(item, itemPath, known: ["name", "weight"]) ?? [:]
            set.disabled.append(reader.string(entry["name"], itemPath.child("name")) ?? "")
        }
        return set
    }

    private static func leaderElection(_ value: JSONValue?, _ path: FieldPath,
                                       _ reader: inout ConfigReader) -> LeaderElection {
        var result = LeaderElection()
        guard let fields = reader.object(value, path, known: [
            "leaderElect", "leaseDuration", "renewDeadline", "retryPeriod", "resourceLock",
            "resourceName", "resourceNamespace",
        ]) else { return result }
        if let v = reader.bool(fields["leaderElect"], path.child("leaderElect")) { result.leaderElect = v }
        if let v = reader.string(fields["resourceName"], path.child("resourceName")), !v.isEmpty { result.resourceName = v }
        if let v = reader.string(fields["resourceNamespace"], path.child("resourceNamespace")), !v.isEmpty {
            result.resourceNamespace = v
        }
        for (key, keyPath) in [("leaseDuration", \LeaderElection.leaseDuration),
                               ("renewDeadline", \LeaderElection.renewDeadline),
                               ("retryPeriod", \LeaderElection.retryPeriod)] {
            guard let text = reader.string(fields[key], path.child(key)) else { continue }
            guard let duration = GoDuration.parse(text) else {
                reader.typeErrors.append("time: invalid duration \(goQuote(text))")
                continue
            }
            result[keyPath: keyPath] = duration
        }
        return result
    }
}

/// Go's `time.ParseDuration` for the units a lease uses (`15s`, `1m30s`, `500ms`).
enum GoDuration {
    static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3),
                                         ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var seconds = 0.0
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return .zero }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) }) else {
                return nil
            }
            rest = rest.dropFirst(unit.0.count)
            seconds += value * unit.1
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
