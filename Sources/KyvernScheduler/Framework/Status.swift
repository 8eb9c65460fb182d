/// The outcome of one plugin call, shaped as upstream's framework status.
///
/// The code matters beyond success/failure: `unschedulableAndUnresolvable` tells preemption that
/// evicting pods from the node would not help, while `unschedulable` leaves that door open.
public struct Status: Sendable, Hashable {
    public enum Code: Sendable, Hashable {
        case success
        case error
        case unschedulable
        case unschedulableAndUnresolvable
        /// Returned by PreFilter/PreScore when the plugin has nothing to check for this pod;
        /// the framework then skips the plugin's Filter/Score calls.
        case skip
        /// Returned by Permit to delay binding.
        case wait
    }

    public var code: Code
    public var reasons: [String]
    /// The plugin that produced a failure, for diagnosis.
    public var plugin: String?

    public init(_ code: Code, _ reasons: [String] = [], plugin: String? = nil) {
        self.code = code
        self.reasons = reasons
        self.plugin = plugin
    }

    public static let success = Status(.success)

    public static func unschedulable(_ reasons: String...) -> Status { Status(.unschedulable, reasons) }
    public static func unresolvable(_ reasons: String...) -> Status {
        Status(.unschedulableAndUnresolvable, reasons)
    }

    public var isSuccess: Bool { code == .success }
    public var isSkip: Bool { code == .skip }
    public var isRejection: Bool { code == .unschedulable || code == .unschedulableAndUnresolvable }

    /// The reasons joined as upstream's `Status.Message()`.
    public var message: String { reasons.joined(separator: ", ") }
}
