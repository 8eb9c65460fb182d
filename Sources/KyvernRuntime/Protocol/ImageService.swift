public import Foundation

/// The node's image store, shaped like the CRI's ImageService.
public protocol ImageService: Sendable {
    /// Pulls `reference` (e.g. `127.0.0.1:5000/busybox:1.36`) unless present, verifying every blob's
    /// digest; `credentials` come from the pod's `imagePullSecrets`. Returns the image id (`sha256:` of the config).
    func pullImage(_ reference: String, credentials: [RegistryCredential]) async throws -> String
    /// The image if present locally, nil otherwise.
    func imageStatus(_ reference: String) async throws -> ImageInfo?
    func listImages() async throws -> [ImageInfo]
    func removeImage(_ reference: String) async throws
}

/// One image in the store.
public struct ImageInfo: Sendable, Hashable, Codable {
    /// `sha256:` digest of the image config.
    public var id: String
    /// Normalised references that name it (`docker.io/library/busybox:latest`, `127.0.0.1:5000/busybox:1.36`).
    public var repoTags: [String]
    /// `repo@sha256:...` of the manifest it was pulled or imported from.
    public var repoDigests: [String]
    public var size: Int64
    /// What the image config says to run, used when the pod leaves command/args/workingDir empty.
    public var config: ImageRuntimeConfig

    public init(id: String, repoTags: [String], repoDigests: [String], size: Int64, config: ImageRuntimeConfig) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.size = size
        self.config = config
    }
}

/// The runtime part of an OCI image config.
public struct ImageRuntimeConfig: Sendable, Hashable, Codable {
    public var entrypoint: [String]
    public var cmd: [String]
    public var env: [String]
    public var workingDir: String
    public var user: String

    public init(entrypoint: [String] = [], cmd: [String] = [], env: [String] = [], workingDir: String = "", user: String = "") {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
    }
}

/// A user name and password for one registry, from a `kubernetes.io/dockerconfigjson` Secret.
public struct RegistryCredential: Sendable, Hashable {
    /// Registry host (and port) the credential applies to, e.g. `127.0.0.1:5000`.
    public var registry: String
    public var username: String
    public var password: String

    public init(registry: String, username: String, password: String) {
        self.registry = registry
        self.username = username
        self.password = password
    }
}

/// Where the runtime finds an image's unpacked layers, lowest first, for an overlayfs root.
public protocol ImageLayerSource: Sendable {
    /// Directories of the image's unpacked layers, bottom layer first, plus its info; throws when absent.
    func layerDirectories(for reference: String) async throws -> (info: ImageInfo, layers: [String])
}
