public import KyvernAPI
public import KyvernRuntime

/// What the pod workers need from the volume manager (`PodVolumes` in `Volumes/`): a seam so
/// unit tests use fakes and the agent never depends on how volumes are made.
public protocol PodVolumeManaging: Sendable {
    /// Makes or refreshes every volume of the pod; idempotent; throws with upstream's message.
    func setUp(pod: JSONValue) async throws
    /// The container's volumeMounts as runtime mounts.
    func mounts(pod: JSONValue, container: JSONValue) async throws -> [Mount]
    /// Removes the pod's volumes.
    func tearDown(podUID: String) async throws
    /// `<plugin>/<volume>` of the claim-backed volumes pods on this node use, sorted: the Node's
    /// `status.volumesInUse`.
    func volumesInUse() async -> [String]
}

/// What the pod workers need to compute a container's environment (`ContainerEnvironment` in `Env/`).
public protocol ContainerEnvironmentResolving: Sendable {
    /// env + envFrom resolved and expanded; throws with upstream's CreateContainerConfigError message.
    func resolve(pod: JSONValue, container: JSONValue, nodeName: String, nodeIP: String, podIP: String) async throws -> [EnvVar]
}
