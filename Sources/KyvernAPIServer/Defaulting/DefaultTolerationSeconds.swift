/// The tolerationSeconds the DefaultTolerationSeconds admission step gives a new pod for the
/// not-ready and unreachable NoExecute taints (`--default-not-ready-toleration-seconds`,
/// `--default-unreachable-toleration-seconds`, 300 each as upstream).
public struct DefaultTolerationSeconds: Sendable, Hashable {
    public var notReady: Int64
    public var unreachable: Int64

    public init(notReady: Int64 = 300, unreachable: Int64 = 300) {
        self.notReady = notReady
        self.unreachable = unreachable
    }
}
