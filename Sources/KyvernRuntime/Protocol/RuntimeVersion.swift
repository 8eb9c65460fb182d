/// What the runtime reports about itself.
public struct RuntimeVersion: Sendable, Hashable, Codable {
    /// e.g. `runc` or `process`.
    public var runtimeName: String
    /// e.g. `1.1.5`.
    public var runtimeVersion: String
    /// The OCI runtime spec version the runtime implements.
    public var runtimeAPIVersion: String

    public init(runtimeName: String, runtimeVersion: String, runtimeAPIVersion: String) {
        self.runtimeName = runtimeName
        self.runtimeVersion = runtimeVersion
        self.runtimeAPIVersion = runtimeAPIVersion
    }

    /// The form upstream prints in `nodeInfo.containerRuntimeVersion` and `kubectl get nodes -o wide`.
    public var nodeInfoString: String { "\(runtimeName)://\(runtimeVersion)" }
}
