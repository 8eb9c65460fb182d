import Foundation

extension ImageStore {
    /// Imports every image of an OCI image layout (a directory or a tar of one) or a `docker save`
    /// archive. Every blob is checked against its digest and every layer against its diffID before the
    /// image gets a name. `name` names the image instead of the archive's own names (needed when a
    /// layout carries only a tag, or no name at all). Returns each imported name with its image id.
    public func importImages(from path: String, name: String? = nil) async throws -> [(reference: String, id: String)] {
        let override = try name.map { try ImageReference(parsing: $0) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError(.invalidArchive, "\(path): no such file or directory")
        }
        var unpacked: String?
        defer { if let unpacked { try? FileManager.default.removeItem(atPath: unpacked) } }
        var directory = path
        if !isDirectory.boolValue {
            let scratch = newTemporaryPath("import")
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false)
            unpacked = scratch
            do {
                try await LayerUnpacker.runChecked(["tar", "-x", "-f", path, "-C", scratch, "--no-same-owner"], what: "reading \(path)")
            } catch let e as ImageError {
                throw ImageError(.invalidArchive, e.message)
            }
            directory = scratch
        }
        let fm = FileManager.default
        var imported: [(names: [ImageReference], entry: ReferenceIndex.Entry)] = []
        if fm.fileExists(atPath: directory + "/oci-layout") && fm.fileExists(atPath: directory + "/index.json") {
            imported = try await importLayout(directory, source: path, override: override)
        } else if fm.fileExists(atPath: directory + "/manifest.json") {
            imported = try await importDockerArchive(directory, source: path, override: override)
        } else {
            throw ImageError(.invalidArchive, "\(path) is neither an OCI image layout (oci-layout, index.json) nor a docker save archive (manifest.json)")
        }
        for image in imported { try register(names: image.names, entry: image.entry) }
        return imported.flatMap { image in image.names.map { ($0.description, image.entry.config) } }
    }

    // MARK: OCI image layout

    private func importLayout(_ dir: String, source: String, override: ImageReference?) async throws
        -> [(names: [ImageReference], entry: ReferenceIndex.Entry)] {
        let index: ImageIndex
        do {
            index = try JSONDecoder().decode(ImageIndex.self, from: try Data(contentsOf: URL(fileURLWithPath: dir + "/index.json")))
        } catch {
            throw ImageError(.invalidArchive, "\(source): invalid index.json: \(error)")
        }
        guard !index.manifests.isEmpty else { throw ImageError(.invalidArchive, "\(source): index.json lists no images") }
        if override != nil && index.manifests.count > 1 {
            throw ImageError(.invalidArchive, "\(source) holds \(index.manifests.count) images: a single --name cannot name them all")
        }
        var result: [(names: [ImageReference], entry: ReferenceIndex.Entry)] = []
        for top in index.manifests {
            let name = try override ?? Self.layoutName(top, source: source)
            let data = try readLayoutBlob(dir, top, source: source)
            var manifestDescriptor = top
            var manifestData = data
            if case .index(let inner) = try ManifestDocument.parse(data, contentType: top.mediaType) {
                guard let chosen = PlatformSelection.select(from: inner) else {
                    throw ImageError(.notFound, "\(source): no image for linux/\(PlatformSelection.hostArchitecture) in \(top.digest)")
                }
                manifestDescriptor = chosen
                manifestData = try readLayoutBlob(dir, chosen, source: source)
            }
            guard case .manifest(let manifest) = try ManifestDocument.parse(manifestData, contentType: manifestDescriptor.mediaType) else {
                throw ImageError(.invalidArchive, "\(source): \(manifestDescriptor.digest) is not an image manifest")
            }
            try await copyLayoutBlob(dir, manifest.config, source: source)
            for layer in manifest.layers { try await copyLayoutBlob(dir, layer, source: source) }
            try storeBlob(manifestData, expected: manifestDescriptor.digest)
            try await unpackLayers(manifest: manifest, source: source)
            result.append(([name], ReferenceIndex.Entry(manifest: manifestDescriptor.digest, config: manifest.config.digest,
                                                        repoDigest: name.pinned(to: top.digest).description)))
        }
        return result
    }

    /// The name an OCI layout gives an image: containerd's full-name annotation, else the OCI
    /// `ref.name` when it is a full reference (a bare tag like `1.36` names no repository).
    static func layoutName(_ d: Descriptor, source: String) throws -> ImageReference {
        let annotations = d.annotations ?? [:]
        if let full = annotations["io.containerd.image.name"] { return try ImageReference(parsing: full) }
        if let ref = annotations["org.opencontainers.image.ref.name"], ref.contains("/") || ref.contains(":") || ref.contains("@") {
            return try ImageReference(parsing: ref)
        }
        let tag = annotations["org.opencontainers.image.ref.name"].map { " (only the tag \"\($0)\")" } ?? ""
        throw ImageError(.invalidArchive, "\(source): image \(d.digest) has no name\(tag): give it one with --name")
    }

    /// A small blob (manifest, index) read whole and checked against its descriptor.
    private func readLayoutBlob(_ dir: String, _ d: Descriptor, source: String) throws -> Data {
        let path = try layoutBlobPath(dir, d.digest)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError(.invalidArchive, "\(source): blob \(d.digest) is missing")
        }
        guard Int64(data.count) == d.size else {
            throw ImageError.sizeMismatch(digest: d.digest, expected: d.size, actual: Int64(data.count))
        }
        let digest = DigestHasher.digest(of: data)
        guard digest == d.digest else { throw Self.corrupt(source, d, ImageError.digestMismatch(expected: d.digest, actual: digest)) }
        return data
    }

    private func copyLayoutBlob(_ dir: String, _ d: Descriptor, source: String) async throws {
        let path = try layoutBlobPath(dir, d.digest)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ImageError(.invalidArchive, "\(source): blob \(d.digest) is missing")
        }
        do {
            try await storeBlob(copying: path, descriptor: d)
        } catch let e as ImageError {
            throw Self.corrupt(source, d, e)
        }
    }

    private nonisolated func layoutBlobPath(_ dir: String, _ digest: String) throws -> String {
        "\(dir)/blobs/sha256/\(try DigestHasher.hex(of: digest))"
    }

    private static func corrupt(_ source: String, _ d: Descriptor, _ e: ImageError) -> ImageError {
        ImageError(e.kind, "\(source): blob \(d.digest): \(e.message)")
    }

    private func unpackLayers(manifest: ImageManifest, source: String) async throws {
        let config = try config(manifest.config.digest)
        guard config.rootfs.diff_ids.count == manifest.layers.count else {
            throw ImageError(.invalidArchive, "\(source): manifest has \(manifest.layers.count) layers but the config lists \(config.rootfs.diff_ids.count)")
        }
        for (layer, diffID) in zip(manifest.layers, config.rootfs.diff_ids) {
            do {
                try await ensureLayer(blob: layer.digest, diffID: diffID)
            } catch let e as ImageError {
                throw ImageError(e.kind, "\(source): \(e.message)")
            }
        }
    }

    // MARK: docker save

    /// `manifest.json` of `docker save`: config and layer paths inside the archive, and the image's tags.
    private struct DockerArchiveEntry: Decodable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    private func importDockerArchive(_ dir: String, source: String, override: ImageReference?) async throws
        -> [(names: [ImageReference], entry: ReferenceIndex.Entry)] {
        let entries: [DockerArchiveEntry]
        do {
            entries = try JSONDecoder().decode([DockerArchiveEntry].self, from: try Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json")))
        } catch {
            throw ImageError(.invalidArchive, "\(source): invalid manifest.json: \(error)")
        }
        guard !entries.isEmpty else { throw ImageError(.invalidArchive, "\(source): manifest.json lists no images") }
        if override != nil && entries.count > 1 {
            throw ImageError(.invalidArchive, "\(source) holds \(entries.count) images: a single --name cannot name them all")
        }
        var result: [(names: [ImageReference], entry: ReferenceIndex.Entry)] = []
        for entry in entries {
            let names = try override.map { [$0] } ?? (entry.RepoTags ?? []).map { try ImageReference(parsing: $0) }
            guard !names.isEmpty else { throw ImageError(.invalidArchive, "\(source): image \(entry.Config) has no name: give it one with --name") }
            let configDescriptor = try archiveMember(dir, entry.Config, source: source, mediaType: MediaType.ociConfig)
            try await storeBlob(copying: dir + "/" + entry.Config, descriptor: configDescriptor)
            var layers: [Descriptor] = []
            for path in entry.Layers {
                let file = dir + "/" + path
                let compressed = try LayerUnpacker.isGzip(file)
                let d = try archiveMember(dir, path, source: source, mediaType: compressed ? MediaType.ociLayerGzip : MediaType.ociLayer)
                try await storeBlob(copying: file, descriptor: d)
                layers.append(d)
            }
            let manifest = ImageManifest(schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers: layers)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let manifestDigest = try storeBlob(try encoder.encode(manifest))
            try await unpackLayers(manifest: manifest, source: source)
            result.append((names, ReferenceIndex.Entry(manifest: manifestDigest, config: configDescriptor.digest, repoDigest: nil)))
        }
        return result
    }

    /// Digest and size of a member of the archive. Members stored under their digest
    /// (`blobs/sha256/<hex>`, `<hex>.json`) must hash to it: that is how a damaged archive shows.
    private func archiveMember(_ dir: String, _ path: String, source: String, mediaType: String) throws -> Descriptor {
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw ImageError(.invalidArchive, "\(source): member path \"\(path)\" leaves the archive")
        }
        let file = dir + "/" + path
        guard FileManager.default.fileExists(atPath: file) else { throw ImageError(.invalidArchive, "\(source): \(path) is missing") }
        let (digest, size) = try DigestHasher.digest(ofFile: file)
        let components = path.split(separator: "/")
        var named: String?
        if components.count == 3, components[0] == "blobs", components[1] == "sha256" { named = String(components[2]) }
        if components.count == 1, path.hasSuffix(".json"), path.count == 69 { named = String(path.dropLast(5)) }
        if let named, "sha256:" + named != digest {
            throw ImageError(.corrupt, "\(source): \(path): \(ImageError.digestMismatch(expected: "sha256:" + named, actual: digest).message)")
        }
        return Descriptor(mediaType: mediaType, digest: digest, size: size, platform: nil, annotations: nil)
    }
}
