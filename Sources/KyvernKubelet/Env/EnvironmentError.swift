/// Why a container's environment cannot be built; the agent reports it as the container's
/// `CreateContainerConfigError` message, worded as upstream's kubelet does.
public struct EnvironmentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    /// The waiting reason upstream shows for this failure.
    public static let reason = "CreateContainerConfigError"
}
