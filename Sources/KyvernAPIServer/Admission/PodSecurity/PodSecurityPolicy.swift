import KyvernAPI

/// A Pod Security Standards level, from least to most restrictive.
enum PodSecurityLevel: String, Sendable, Comparable, CaseIterable {
    case privileged, baseline, restricted

    static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
    private var rank: Int { self == .privileged ? 0 : self == .baseline ? 1 : 2 }
}

/// The policy version a namespace pins: `latest` or `v1.x`. Every version is evaluated with the
/// checks of this server's release (1.36); a pinned version only changes how the policy is named.
enum PodSecurityVersion: Sendable, Hashable, CustomStringConvertible {
    case latest
    case minor(Int)

    var description: String {
        switch self {
        case .latest: "latest"
        case .minor(let minor): "v1.\(minor)"
        }
    }

    /// `latest` or `v1.<minor>` (no leading zeros), as upstream's label parser accepts.
    static func parse(_ text: String) -> PodSecurityVersion? {
        if text == "latest" { return .latest }
        guard text.hasPrefix("v1."), case let digits = text.dropFirst(3), !digits.isEmpty,
              digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits == "0" || !digits.hasPrefix("0"),
              let minor = Int(digits) else { return nil }
        return .minor(minor)
    }
}

/// A level at a version; printed `restricted:latest` in messages.
struct PodSecurityLevelVersion: Sendable, Hashable, CustomStringConvertible {
    var level: PodSecurityLevel
    var version: PodSecurityVersion

    static let privileged = PodSecurityLevelVersion(level: .privileged, version: .latest)

    var description: String { "\(level.rawValue):\(version)" }

    /// Both privileged, or the same level at the same version.
    func isEquivalent(to other: Self) -> Bool {
        (level == .privileged && other.level == .privileged) || self == other
    }
}

/// What a namespace's `pod-security.kubernetes.io/*` labels ask for in each mode.
struct PodSecurityPolicy: Sendable, Equatable {
    var enforce: PodSecurityLevelVersion = .privileged
    var audit: PodSecurityLevelVersion = .privileged
    var warn: PodSecurityLevelVersion = .privileged

    static let labelPrefix = "pod-security.kubernetes.io/"

    var isFullyPrivileged: Bool {
        enforce.level == .privileged && audit.level == .privileged && warn.level == .privileged
    }

    /// The policy the labels give and the label values that are invalid. Like upstream, a bad
    /// enforce level fails closed (restricted), a bad audit or warn level fails open (privileged),
    /// a bad version reads as latest, and warn follows a stricter explicit enforce level.
    static func from(labels: [String: String]) -> (policy: PodSecurityPolicy, errors: [APIError.Cause]) {
        var policy = PodSecurityPolicy()
        var errors: [APIError.Cause] = []
        func level(_ mode: String, invalid fallback: PodSecurityLevel) -> PodSecurityLevel? {
            guard let value = labels[labelPrefix + mode] else { return nil }
            if let level = PodSecurityLevel(rawValue: value) { return level }
            errors.append(invalid(mode, value, "must be one of privileged, baseline, restricted"))
            return fallback
        }
        func version(_ mode: String) -> PodSecurityVersion? {
            guard let value = labels[labelPrefix + mode + "-version"] else { return nil }
            if let version = PodSecurityVersion.parse(value) { return version }
            errors.append(invalid(mode + "-version", value, "must be \"latest\" or \"v1.x\""))
            return .latest
        }
        let enforceLevel = labels[labelPrefix + "enforce"].flatMap(PodSecurityLevel.init(rawValue:))
        if let value = level("enforce", invalid: .restricted) { policy.enforce.level = value }
        if let value = version("enforce") { policy.enforce.version = value }
        if let value = level("audit", invalid: .privileged) { policy.audit.level = value }
        if let value = version("audit") { policy.audit.version = value }
        let warnLevel = level("warn", invalid: .privileged)
        if let warnLevel { policy.warn.level = warnLevel }
        let warnVersion = version("warn")
        if let warnVersion { policy.warn.version = warnVersion }
        if warnLevel == nil, let enforceLevel, enforceLevel > policy.warn.level {
            policy.warn.level = enforceLevel
            if warnVersion == nil { policy.warn.version = policy.enforce.version }
        }
        return (policy, errors)
    }

    static func from(namespace: JSONValue?) -> (policy: PodSecurityPolicy, errors: [APIError.Cause]) {
        let labels = namespace?[path: ["metadata", "labels"]]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        return from(labels: labels)
    }

    private static func invalid(_ label: String, _ value: String, _ detail: String) -> APIError.Cause {
        .invalid("metadata.labels[\(labelPrefix)\(label)]", .string(value), detail)
    }
}
