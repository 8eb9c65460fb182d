import Foundation

/// Media types of the OCI image spec and their Docker v2 schema 2 equivalents, which registries still serve.
enum MediaType {
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let ociConfig = "application/vnd.oci.image.config.v1+json"
    static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// Everything we can read, in the order we prefer; registries choose by this Accept header.
    static let manifestAccept = [ociIndex, ociManifest, dockerManifestList, dockerManifest]

    static func isIndex(_ type: String?) -> Bool { type == ociIndex || type == dockerManifestList }
    static func isManifest(_ type: String?) -> Bool { type == ociManifest || type == dockerManifest }
}

struct Platform: Codable, Sendable, Hashable {
    var architecture: String
    var os: String
    var variant: String?
}

struct Descriptor: Codable, Sendable, Hashable {
    var mediaType: String?
    var digest: String
    var size: Int64
    var platform: Platform?
    var annotations: [String: String]?
}

/// An image manifest (OCI or Docker schema 2: the same JSON shape).
struct ImageManifest: Codable, Sendable {
    var schemaVersion: Int?
    var mediaType: String?
    var config: Descriptor
    var layers: [Descriptor]
}

/// An image index or Docker manifest list.
struct ImageIndex: Codable, Sendable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [Descriptor]
}

/// The parts of an image config the store needs: what to run and the layers' uncompressed digests.
struct ImageConfigFile: Decodable, Sendable {
    struct RunConfig: Decodable, Sendable {
        var Entrypoint: [String]?
        var Cmd: [String]?
        var Env: [String]?
        var WorkingDir: String?
        var User: String?
    }
    struct RootFS: Decodable, Sendable {
        var type: String?
        var diff_ids: [String]
    }
    var architecture: String?
    var os: String?
    var config: RunConfig?
    var rootfs: RootFS

    var runtimeConfig: ImageRuntimeConfig {
        ImageRuntimeConfig(entrypoint: config?.Entrypoint ?? [], cmd: config?.Cmd ?? [], env: config?.Env ?? [],
                           workingDir: config?.WorkingDir ?? "", user: config?.User ?? "")
    }

    static func decode(_ data: Data) throws -> ImageConfigFile {
        do {
            return try JSONDecoder().decode(ImageConfigFile.self, from: data)
        } catch {
            throw ImageError(.corrupt, "invalid image config: \(error)")
        }
    }
}

/// Which manifest of an index this node runs: linux/amd64 (arm64 on arm64 machines), no variant preferred.
enum PlatformSelection {
    static var hostArchitecture: String {
        #if arch(arm64)
        "arm64"
        #else
        "amd64"
        #endif
    }

    static func select(from index: ImageIndex, architecture: String = hostArchitecture, os: String = "linux") -> Descriptor? {
        let candidates = index.manifests.filter { d in
            guard MediaType.isManifest(d.mediaType) || d.mediaType == nil else { return false }
            guard let p = d.platform else { return false }
            return p.os == os && p.architecture == architecture
        }
        if let plain = candidates.first(where: { $0.platform?.variant == nil }) { return plain }
        if let first = candidates.first { return first }
        // An index without platforms (e.g. a single-image OCI layout) names the image itself.
        let unnamed = index.manifests.filter { $0.platform == nil && (MediaType.isManifest($0.mediaType) || $0.mediaType == nil) }
        return unnamed.count == 1 ? unnamed[0] : nil
    }
}

/// Reads a manifest document of any supported type; the media type comes from the JSON or the HTTP header.
enum ManifestDocument {
    case manifest(ImageManifest)
    case index(ImageIndex)

    static func parse(_ data: Data, contentType: String?) throws -> ManifestDocument {
        struct Probe: Decodable { var mediaType: String?; var manifests: [Descriptor]?; var config: Descriptor? }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw ImageError(.corrupt, "invalid manifest: not JSON")
        }
        let type = probe.mediaType ?? contentType.map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) }
        do {
            if MediaType.isIndex(type) || (type == nil && probe.manifests != nil) {
                return .index(try JSONDecoder().decode(ImageIndex.self, from: data))
            }
            if MediaType.isManifest(type) || (probe.config != nil && probe.manifests == nil) {
                return .manifest(try JSONDecoder().decode(ImageManifest.self, from: data))
            }
        } catch {
            throw ImageError(.corrupt, "invalid manifest: \(error)")
        }
        throw ImageError(.unavailable, "unsupported manifest media type \"\(type ?? "")\"")
    }
}
