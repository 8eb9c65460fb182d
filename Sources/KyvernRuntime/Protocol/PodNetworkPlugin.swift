/// Gives a sandbox's network namespace its interfaces and addresses (CNI in `KyvernNetwork`).
///
/// The runtime calls it after making the namespace and before any container starts, and again when
/// the sandbox stops, so that the runtime never needs to know how pods are networked.
public protocol PodNetworkPlugin: Sendable {
    /// Attaches the namespace at `networkNamespacePath`; returns the pod's IPs, primary first.
    func setUp(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws -> [String]
    /// Detaches it and releases its addresses and host ports; succeeds when already torn down.
    func tearDown(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws
}
