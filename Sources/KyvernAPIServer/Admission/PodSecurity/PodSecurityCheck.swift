import Foundation
import KyvernAPI

/// The parts of a pod (or a workload's pod template) the checks read.
struct PodSecurityPod: Sendable {
    var annotations: [String: String]
    var spec: JSONValue

    init(metadata: JSONValue?, spec: JSONValue?) {
        annotations = metadata?["annotations"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        self.spec = spec ?? [:]
    }

    /// Init containers, containers, then ephemeral containers: the order upstream visits them in.
    var containers: [JSONValue] {
        ["initContainers", "containers", "ephemeralContainers"].flatMap { spec[$0]?.arrayValue ?? [] }
    }

    var podSecurityContext: JSONValue? { spec["securityContext"] }

    var isWindows: Bool { spec[path: ["os", "name"]]?.stringValue == "windows" }

    /// `hostUsers: false` (a user namespace) relaxes the root and procMount checks since 1.35.
    var usesUserNamespace: Bool { spec["hostUsers"]?.boolValue == false }

    static func name(_ container: JSONValue) -> String { container["name"]?.stringValue ?? "" }
}

/// One failed check: upstream's short reason and the detail naming what to change.
struct PodSecurityViolation: Sendable, Equatable {
    var reason: String
    var detail: String
}

/// A Pod Security Standards check, under upstream's ID.
struct PodSecurityCheck: Sendable {
    var id: String
    var level: PodSecurityLevel
    /// Baseline checks this (restricted) check replaces.
    var overrides: [String] = []
    var evaluate: @Sendable (PodSecurityPod) -> PodSecurityViolation?
}

/// Upstream's wording helpers: `"a", "b"` and singular or plural by count.
enum PodSecurityText {
    static func joinQuote(_ items: [String]) -> String {
        items.isEmpty ? "" : "\"" + items.joined(separator: "\", \"") + "\""
    }

    static func pluralize(_ singular: String, _ plural: String, _ count: Int) -> String {
        count == 1 ? singular : plural
    }

    /// `container "a"` / `containers "a", "b"`.
    static func containers(_ names: [String]) -> String {
        "\(pluralize("container", "containers", names.count)) \(joinQuote(names))"
    }

    /// A Go-style `%q` of a string (the values here are plain text, so quotes and backslashes suffice).
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
