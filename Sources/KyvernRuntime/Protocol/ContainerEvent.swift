/// A container's change of state as the runtime pushes it (the CRI's GetContainerEvents), so that
/// the agent hears of an exit at once instead of at its next relist.
public struct ContainerEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case created, started, stopped, deleted }

    public var containerID: String
    public var kind: Kind
    public var sandboxID: String
    /// The pod's UID from the sandbox's metadata, when the runtime sent the sandbox's status.
    public var podUID: String?

    public init(containerID: String, kind: Kind, sandboxID: String, podUID: String?) {
        self.containerID = containerID
        self.kind = kind
        self.sandboxID = sandboxID
        self.podUID = podUID
    }
}
