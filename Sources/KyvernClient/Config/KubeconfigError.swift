/// Why a kubeconfig could not be turned into a ``ClientConfiguration``.
public struct KubeconfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the context, cluster, user or file.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
