public import KyvernAPI

/// Why a scheduler configuration file was refused.
///
/// Field problems carry upstream's `field.Error` wording (`profiles[0].schedulerName: Required
/// value`), joined as upstream's aggregate error is, so the message a user sees when starting
/// `kyvern scheduler --config` reads like kube-scheduler's.
public struct SchedulerConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var causes: [APIError.Cause]
    /// A problem before fields can be checked (YAML syntax, wrong kind, strict decoding).
    public var message: String?

    public init(causes: [APIError.Cause]) {
        self.causes = causes
        message = nil
    }

    public init(message: String) {
        causes = []
        self.message = message
    }

    /// One error alone, several as `[a, b]` (upstream's `utilerrors.Aggregate`).
    public var description: String {
        if let message { return message }
        let parts = causes.map(\.fieldError)
        return parts.count == 1 ? parts[0] : "[" + parts.joined(separator: ", ") + "]"
    }
}

/// Upstream's `field.Path` rendering: `a.b[0].c`.
package struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    package private(set) var description: String

    package init(_ root: String) { description = root }

    package func child(_ names: String...) -> FieldPath {
        var path = self
        for name in names { path.description += path.description.isEmpty ? name : "." + name }
        return path
    }

    package func index(_ i: Int) -> FieldPath {
        var path = self
        path.description += "[\(i)]"
        return path
    }
}
