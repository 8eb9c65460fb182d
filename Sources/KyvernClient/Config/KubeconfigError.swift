/// Why a kubeconfig could not be turned into a ``ClientConfiguration``.
public struct KubeconfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
