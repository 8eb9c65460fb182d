import Foundation
import Glibc
public import KyvernAPI
public import KyvernClient
public import KyvernRuntime
public import Logging

/// A node's pod volumes: made (and refreshed) under `<root>/<pod uid>/volumes/<plugin>/<name>`,
/// turned into the runtime's bind mounts, and removed with the pod.
///
/// The agent calls ``setUp(pod:)`` before starting a pod's containers and again periodically
/// (at most a minute apart), which is how a ConfigMap or Secret change reaches running containers.
///
/// A `persistentVolumeClaim` volume is resolved to its PersistentVolume once per pod and used
/// where that volume's source says (a mounter per source); its data outlives the pod.
public actor PodVolumes: PodVolumeManaging {
    let client: any KubernetesClient
    let rootDirectory: String
    let logger: Logger
    let reader: ConfigSourceReader
    let tokens: ServiceAccountTokens
    let mounters: PersistentVolumeMounters
    private var allocatable: [String: NodeAllocatable] = [:]
    /// Claim volumes set up, by pod uid and volume name, until the pod's ``tearDown(podUID:)``.
    var claimVolumes: [String: [String: ClaimVolume]] = [:]
    /// emptyDirs already given the pod's fsGroup (`<uid>/<name>`): once per pod, as upstream.
    var ownedEmptyDirs: Set<String> = []
    /// Its own thread: volume directories, tmpfs mounts and atomic writes are blocking system calls.
    private nonisolated let executor = BlockingWorkExecutor.next()
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public init(client: any KubernetesClient, rootDirectory: String, logger: Logger) {
        self.init(client: client, rootDirectory: rootDirectory, logger: logger, mounters: .standard)
    }

    init(client: any KubernetesClient, rootDirectory: String, logger: Logger, mounters: PersistentVolumeMounters) {
        self.client = client
        self.rootDirectory = rootDirectory
        self.logger = logger
        self.reader = ConfigSourceReader(client: client)
        self.tokens = ServiceAccountTokens(client: client)
        self.mounters = mounters
    }

    /// Makes (or refreshes: configMap/secret/downwardAPI/projected contents) every volume of the
    /// pod; idempotent. Every volume is attempted; the first failure is thrown as a ``VolumeError``
    /// with upstream's message (e.g. `configmap "x" not found`).
    public func setUp(pod: JSONValue) async throws {
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        guard !uid.isEmpty, !uid.contains("/"), uid != "..", uid != "." else {
            throw VolumeError(volumeName: "", message: "pod has no uid")
        }
        var firstError: VolumeError?
        for volume in pod[path: ["spec", "volumes"]]?.arrayValue ?? [] {
            let name = volume["name"]?.stringValue ?? ""
            do {
                try await setUp(volume: volume, named: name, pod: pod, uid: uid)
            } catch {
                let failure = VolumeError(volumeName: name, message: "\(error)")
                logger.warning("volume setUp failed", metadata: ["pod": "\(uid)", "volume": "\(name)", "error": "\(failure.message)"])
                if firstError == nil { firstError = failure }
            }
        }
        if let firstError { throw firstError }
    }

    /// The container's volumeMounts as runtime mounts (subPath resolved, readOnly kept); a
    /// `subPathExpr` is expanded against the container's environment, resolved here from the
    /// pod's own fields when some mount needs it.
    public func mounts(pod: JSONValue, container: JSONValue) async throws -> [Mount] {
        try await setUpMissingClaims(pod: pod, container: container)
        let needsEnvironment = (container["volumeMounts"]?.arrayValue ?? []).contains {
            !($0["subPathExpr"]?.stringValue ?? "").isEmpty
        }
        guard needsEnvironment else { return try mounts(pod: pod, container: container, environment: []) }
        let environment = try await ContainerEnvironment(client: client).resolve(
            pod: pod, container: container, nodeName: pod[path: ["spec", "nodeName"]]?.stringValue ?? "",
            nodeIP: pod[path: ["status", "hostIP"]]?.stringValue ?? "", podIP: pod[path: ["status", "podIP"]]?.stringValue ?? "")
        return try mounts(pod: pod, container: container, environment: environment)
    }

    /// The container's volumeMounts as runtime mounts: `subPath` (or `subPathExpr`, expanded
    /// against `environment`) resolved inside the volume, `readOnly` kept, and the volumes the
    /// kubelet writes itself always read-only.
    public func mounts(pod: JSONValue, container: JSONValue, environment: [EnvVar]) throws -> [Mount] {
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let containerName = container["name"]?.stringValue ?? ""
        var volumes: [String: JSONValue] = [:]
        for volume in pod[path: ["spec", "volumes"]]?.arrayValue ?? [] {
            if let name = volume["name"]?.stringValue { volumes[name] = volume }
        }
        return try (container["volumeMounts"]?.arrayValue ?? []).map { mount in
            let name = mount["name"]?.stringValue ?? ""
            guard let volume = volumes[name] else {
                throw VolumeError(volumeName: name, message: "cannot find volume \"\(name)\" to mount into container \"\(containerName)\"")
            }
            guard let kind = VolumeKind.of(volume) else {
                throw VolumeError(volumeName: name, message: "volume type \(VolumeKind.sourceName(volume)) is not supported by this node")
            }
            var volumePath = path(of: volume, kind: kind, uid: uid)
            var claimReadOnly = false
            if kind == .persistentVolumeClaim {
                guard let claim = claimVolumes[uid]?[name] else {
                    throw VolumeError(volumeName: name, message: "volume \"\(name)\" is not set up yet")
                }
                volumePath = claim.directory
                claimReadOnly = claim.claim.readOnly
            }
            var hostPath = volumePath
            if let subPath = try SubPath.resolve(mount: mount, containerName: containerName, environment: environment) {
                hostPath = try SubPath.prepare(subPath, in: volumePath, mountName: name, containerName: containerName)
            }
            let readOnly = mount["readOnly"]?.boolValue == true || claimReadOnly || kind.alwaysReadOnly
            return Mount(containerPath: mount["mountPath"]?.stringValue ?? "", hostPath: hostPath, readOnly: readOnly)
        }
    }

    /// Unmounts the pod's tmpfs volumes and removes its directory; a pod already gone is fine.
    public func tearDown(podUID: String) async throws {
        await tokens.forget(podUID: podUID)
        try await tearDownClaims(podUID: podUID)
        ownedEmptyDirs = ownedEmptyDirs.filter { !$0.hasPrefix(podUID + "/") }
        guard !podUID.isEmpty, !podUID.contains("/"), podUID != "..", podUID != "." else { return }
        let podDirectory = rootDirectory + "/" + podUID
        guard FileManager.default.fileExists(atPath: podDirectory) else { return }
        for mountPoint in MountTable.mounts(under: podDirectory) {
            do {
                try MountTable.unmount(mountPoint)
            } catch {
                throw VolumeError(volumeName: "", message: "\(error)")
            }
        }
        // Never delete through a mount that would not go: it could be the node's own files.
        let left = MountTable.mounts(under: podDirectory)
        guard left.isEmpty else {
            throw VolumeError(volumeName: "", message: "pod directory \(podDirectory) still has mounts: \(left.joined(separator: ", "))")
        }
        do {
            try FileManager.default.removeItem(atPath: podDirectory)
        } catch {
            throw VolumeError(volumeName: "", message: "removing \(podDirectory): \(error.localizedDescription)")
        }
    }

    // MARK: one volume

    /// Where the volume lives on the node (a claim's: where its volume is, known once set up).
    nonisolated func path(of volume: JSONValue, kind: VolumeKind, uid: String) -> String {
        guard let plugin = kind.pluginDirectory else { return volume[path: ["hostPath", "path"]]?.stringValue ?? "" }
        return "\(rootDirectory)/\(uid)/volumes/\(plugin)/\(volume["name"]?.stringValue ?? "")"
    }

    private func setUp(volume: JSONValue, named name: String, pod: JSONValue, uid: String) async throws {
        guard let kind = VolumeKind.of(volume) else {
            throw PayloadError("volume type \(VolumeKind.sourceName(volume)) is not supported by this node")
        }
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let directory = path(of: volume, kind: kind, uid: uid)
        switch kind {
        case .hostPath:
            try HostPathCheck.check(path: directory, type: volume[path: ["hostPath", "type"]]?.stringValue ?? "")
        case .emptyDir:
            let medium = volume[path: ["emptyDir", "medium"]]?.stringValue ?? ""
            switch medium {
            case "":
                try makeDirectory(directory)
            case "Memory":
                try await makeTmpfs(directory, pod: pod, sizeLimit: volume[path: ["emptyDir", "sizeLimit"]])
            default:
                throw PayloadError("unsupported emptyDir medium: \(medium)")
            }
            // Upstream leaves an emptyDir writable by every user the containers may run as (no
            // sticky bit, which a tmpfs has); the setgid bit fsGroup adds is kept.
            if let mode = modeBits(directory), mode & 0o1777 != 0o777 { chmod(directory, 0o777 | (mode & S_ISGID)) }
            try applyOwnershipOnce(pod: pod, directory: directory, key: "\(uid)/\(name)")
        case .persistentVolumeClaim:
            try await setUpClaim(volume: volume, named: name, pod: pod, uid: uid)
        case .configMap, .secret:
            let source = volume[kind.rawValue] ?? [:]
            let sourceKind: ConfigSourceReader.Kind = kind == .configMap ? .configMap : .secret
            let sourceName = (kind == .configMap ? source["name"] : source["secretName"])?.stringValue ?? ""
            let optional = source["optional"]?.boolValue == true
            var data = ConfigSourceData()
            do {
                if let found = try await reader.read(sourceKind, namespace: namespace, name: sourceName) {
                    data = found
                } else if !optional {
                    throw PayloadError(ConfigSourceReader.notFound(sourceKind, sourceName))
                }
            } catch let error as APIError {
                throw PayloadError(error.message)
            }
            let payload = try KeyPayload.make(items: source["items"]?.arrayValue ?? [], data: data, kind: sourceKind,
                                              defaultMode: FileProjection.mode(source["defaultMode"]?.intValue),
                                              optional: optional)
            try await prepare(directory, kind: kind, pod: pod)
            try write(payload, to: directory, volume: name)
        case .downwardAPI:
            let source = volume["downwardAPI"] ?? [:]
            let payload = try DownwardAPIPayload.make(items: source["items"]?.arrayValue ?? [], pod: pod,
                                                      defaultMode: FileProjection.mode(source["defaultMode"]?.intValue),
                                                      allocatable: await nodeAllocatable(pod))
            try await prepare(directory, kind: kind, pod: pod)
            try write(payload, to: directory, volume: name)
        case .projected:
            let payload = try await ProjectedPayload(reader: reader, tokens: tokens)
                .make(volume["projected"] ?? [:], pod: pod, allocatable: await nodeAllocatable(pod))
            try await prepare(directory, kind: kind, pod: pod)
            try write(payload, to: directory, volume: name)
        }
    }

    /// The directory of a volume the kubelet writes: on disk, or a tmpfs for the secret kinds.
    private func prepare(_ directory: String, kind: VolumeKind, pod: JSONValue) async throws {
        if kind.memoryBacked {
            try await makeTmpfs(directory, pod: pod, sizeLimit: nil)
        } else {
            try makeDirectory(directory)
        }
    }

    private func write(_ payload: Payload, to directory: String, volume: String) throws {
        if try AtomicWriter(target: directory).write(payload) {
            logger.debug("volume contents written", metadata: ["path": "\(directory)", "volume": "\(volume)"])
        }
    }

    private func makeDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
        } catch {
            throw PayloadError("mkdir \(directory): \(error.localizedDescription)")
        }
    }

    private func makeTmpfs(_ directory: String, pod: JSONValue, sizeLimit: JSONValue?) async throws {
        let size = MemoryVolumeSize.bytes(pod: pod, sizeLimit: sizeLimit, allocatable: await nodeAllocatable(pod))
        // No suspension between the check and the mount: a concurrent setUp of the same pod
        // (the actor is reentrant at awaits) cannot mount a second tmpfs over the first.
        try makeDirectory(directory)
        if MountTable.isMountPoint(directory) { return }
        try MountTable.mountTmpfs(at: directory, sizeBytes: size)
    }

    /// The pod's node's allocatable resources, read once per node.
    private func nodeAllocatable(_ pod: JSONValue) async -> NodeAllocatable {
        let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        if let known = allocatable[nodeName] { return known }
        let fetched = await NodeAllocatable.fetch(client: client, nodeName: nodeName)
        allocatable[nodeName] = fetched
        return fetched
    }
}
