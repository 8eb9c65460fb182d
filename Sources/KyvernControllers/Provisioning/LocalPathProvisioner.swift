import Foundation
import NIOPosix
public import KyvernAPI

/// The built-in `kyvern.io/local-path` backend, as k3s's local-path provisioner: a directory per
/// claim under the node's storage root (or the class's `parameters.path`), offered as a
/// `hostPath` volume (or `local` with `parameters.volumeType: local`) pinned to the node.
/// Sizes are recorded, not enforced: a directory has no quota.
public struct LocalPathProvisioner: VolumeProvisioner {
    public static let provisionerName = "kyvern.io/local-path"
    public var name: String { Self.provisionerName }

    /// Where directories go when the class names no `parameters.path`.
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// `<root>/pvc-<uid>_<namespace>_<name>`, k3s's layout, so an operator finds a claim's data by its name.
    public func directory(for request: ProvisionRequest) -> String {
        let base = request.storageClass[path: ["parameters", "path"]]?.stringValue ?? root
        let folder = "\(request.volumeName)_\(request.claim.namespace ?? "")_\(request.claim.name ?? "")"
        return (base as NSString).appendingPathComponent(folder)
    }

    public func provision(_ request: ProvisionRequest) async throws -> ProvisionedVolume {
        let path = directory(for: request)
        // Off Swift's cooperative pool (one thread per core, shared by the whole process): a slow
        // mkdir there held up every other task.
        try await NIOThreadPool.singleton.runIfActive { try Self.makeVolumeDirectory(path, request: request) }
        let source: [String: JSONValue]
        if request.storageClass[path: ["parameters", "volumeType"]]?.stringValue?.lowercased() == "local" {
            source = ["local": ["path": .string(path)]]
        } else {
            source = ["hostPath": ["path": .string(path), "type": "DirectoryOrCreate"]]
        }
        let affinity: JSONValue = ["required": ["nodeSelectorTerms": [[
            "matchExpressions": [["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(request.node)]]],
        ]]]]
        return ProvisionedVolume(source: source, nodeAffinity: affinity)
    }

    /// The claim's directory (a clone's with its source's files); removed again on failure.
    static func makeVolumeDirectory(_ path: String, request: ProvisionRequest) throws {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: path, withIntermediateDirectories: true)
            // World-writable as k3s makes them: pods running as any user can write; fsGroup narrows it.
            try files.setAttributes([.posixPermissions: 0o777], ofItemAtPath: path)
            if let source = request.sourceVolume {
                try Self.copyContents(of: try Self.hostDirectory(of: source), into: path)
            }
        } catch let error as ProvisioningError {
            try? files.removeItem(atPath: path)
            throw error
        } catch {
            try? files.removeItem(atPath: path)
            throw ProvisioningError("failed to create volume directory \(path): \(error.localizedDescription)")
        }
    }

    public func delete(_ volume: JSONValue) async throws {
        let path = try Self.hostDirectory(of: volume)
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        } catch {
            throw ProvisioningError("failed to delete volume directory \(path): \(error.localizedDescription)")
        }
    }

    public func expand(_ volume: JSONValue, to size: Quantity) async throws -> Quantity {
        _ = try Self.hostDirectory(of: volume)
        return size
    }

    /// The directory a hostPath or local volume names.
    static func hostDirectory(of volume: JSONValue) throws -> String {
        if let path = volume[path: ["spec", "hostPath", "path"]]?.stringValue ?? volume[path: ["spec", "local", "path"]]?.stringValue,
           !path.isEmpty {
            return path
        }
        throw ProvisioningError("volume \(volume.name ?? "") has no hostPath or local path")
    }

    /// Copies every entry of `source` (not the directory itself) into `destination`, keeping modes.
    static func copyContents(of source: String, into destination: String) throws {
        let files = FileManager.default
        guard files.fileExists(atPath: source) else {
            throw ProvisioningError("source volume directory \(source) does not exist on this node")
        }
        for entry in try files.contentsOfDirectory(atPath: source) {
            try files.copyItem(atPath: (source as NSString).appendingPathComponent(entry),
                               toPath: (destination as NSString).appendingPathComponent(entry))
        }
    }
}
