import Foundation
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The node's content-addressed image store:
///
///     <root>/blobs/sha256/<hex>   manifests, configs and layer blobs, each verified against its digest
///     <root>/layers/<diffID hex>/ each layer unpacked once, whiteouts in overlayfs form
///     <root>/index.json           normalised reference → manifest and config (see ``ReferenceIndex``)
///     <root>/tmp/                 downloads and unpacks in progress, renamed into place when complete
///
/// Every file or directory appears under its final name only when complete (rename), so two processes
/// pulling the same image at once each end with a whole copy; inside one process concurrent pulls of
/// the same blob or layer share one download.
public actor ImageStore: ImageService, ImageLayerSource {
    public nonisolated let root: String
    let logger: Logger
    let transport: any RegistryTransport

    private var inFlight: [String: Task<Void, any Error>] = [:]
    private var pulls: [String: Task<String, any Error>] = [:]
    private var configCache: [String: ImageConfigFile] = [:]
    private var manifestCache: [String: ImageManifest] = [:]

    nonisolated var blobsDirectory: String { root + "/blobs/sha256" }
    nonisolated var layersDirectory: String { root + "/layers" }
    nonisolated var tempDirectory: String { root + "/tmp" }
    nonisolated var indexPath: String { root + "/index.json" }

    /// Opens (creating when needed) the store under `root`, e.g. `DATA/images`.
    public init(root: String, logger: Logger = Logger(label: "kyvern.images")) throws {
        try self.init(root: root, logger: logger, transport: HTTPRegistryTransport())
    }

    init(root: String, logger: Logger, transport: any RegistryTransport) throws {
        self.root = root
        self.logger = logger
        self.transport = transport
        let fm = FileManager.default
        for dir in [root + "/blobs/sha256", root + "/layers", root + "/tmp"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        Self.removeStaleTemporaries(in: root + "/tmp")
    }

    /// Leftovers of a crashed pull; only old ones, since another process may be pulling right now.
    private static func removeStaleTemporaries(in dir: String) {
        let fm = FileManager.default
        let cutoff = Date().addingTimeInterval(-3600)
        for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
            let path = dir + "/" + name
            if let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                try? fm.removeItem(atPath: path)
            }
        }
    }

    nonisolated func blobPath(_ digest: String) throws -> String {
        blobsDirectory + "/" + (try DigestHasher.hex(of: digest))
    }

    nonisolated func layerPath(_ diffID: String) throws -> String {
        layersDirectory + "/" + (try DigestHasher.hex(of: diffID))
    }

    nonisolated func newTemporaryPath(_ prefix: String) -> String {
        tempDirectory + "/\(prefix)-\(UUID().uuidString.lowercased())"
    }

    // MARK: ImageService

    public func imageStatus(_ reference: String) async throws -> ImageInfo? {
        let index = try ReferenceIndex.load(from: indexPath)
        guard let id = try Self.resolve(reference, in: index) else { return nil }
        return try info(id: id, index: index)
    }

    public func listImages() async throws -> [ImageInfo] {
        let index = try ReferenceIndex.load(from: indexPath)
        let ids = Set(index.references.values.map(\.config))
        return try ids.sorted().map { try info(id: $0, index: index) }
    }

    /// Removes one name (`busybox:1.36`, `repo@sha256:…`) or, given an image id, every name of that
    /// image; then deletes blobs and unpacked layers no remaining image uses.
    public func removeImage(_ reference: String) async throws {
        let keep = Set(inFlight.keys)
        let removed = try ReferenceIndex.update(at: indexPath) { index -> Bool in
            guard let id = try Self.resolve(reference, in: index) else { return false }
            let names = Self.names(matching: reference, id: id, in: index)
            for name in names { index.references[name] = nil }
            try collectGarbage(index: index, keeping: keep)
            return !names.isEmpty
        }
        guard removed else { throw ImageError.notPresent(reference) }
    }

    // MARK: ImageLayerSource

    public func layerDirectories(for reference: String) async throws -> (info: ImageInfo, layers: [String]) {
        let index = try ReferenceIndex.load(from: indexPath)
        guard let id = try Self.resolve(reference, in: index),
              let entry = index.references.values.first(where: { $0.config == id })
        else { throw ImageError.notPresent(reference) }
        let manifest = try manifest(entry.manifest)
        let config = try config(entry.config)
        var layers: [String] = []
        for (descriptor, diffID) in zip(manifest.layers, config.rootfs.diff_ids) {
            try await ensureLayer(blob: descriptor.digest, diffID: diffID)
            layers.append(try layerPath(diffID))
        }
        return (try info(id: id, index: index), layers)
    }

    // MARK: Lookup

    /// The image id `text` names: an id (`sha256:…` or a unique hex prefix of at least 12), a reference
    /// held in the index, or `repo@digest` of a manifest an image came from.
    static func resolve(_ text: String, in index: ReferenceIndex) throws -> String? {
        let ids = Set(index.references.values.map(\.config))
        if ids.contains(text) { return text }
        let bare = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        if bare.count >= 12, bare.allSatisfy(\.isHexDigit) {
            let matches = ids.filter { $0.dropFirst(7).hasPrefix(bare) }
            if matches.count == 1 { return matches.first }
        }
        let ref = try ImageReference(parsing: text)
        if let entry = index.references[ref.description] { return entry.config }
        if let digest = ref.digest {
            let pinned = ref.pinned(to: digest).description
            if let entry = index.references.values.first(where: { $0.repoDigest == pinned }) { return entry.config }
        }
        return nil
    }

    /// The index keys a removal of `text` takes away: all names of the image for an id, else the one name.
    static func names(matching text: String, id: String, in index: ReferenceIndex) -> [String] {
        if let ref = try? ImageReference(parsing: text) {
            if index.references[ref.description] != nil { return [ref.description] }
            if let digest = ref.digest {
                let pinned = ref.pinned(to: digest).description
                let names = index.references.filter { $0.value.repoDigest == pinned }.map(\.key)
                if !names.isEmpty { return names }
            }
        }
        return index.references.filter { $0.value.config == id }.map(\.key)
    }

    func info(id: String, index: ReferenceIndex) throws -> ImageInfo {
        let entries = index.references.filter { $0.value.config == id }
        guard let first = entries.sorted(by: { $0.key < $1.key }).first else { throw ImageError.notPresent(id) }
        let manifest = try manifest(first.value.manifest)
        let config = try config(id)
        let size = manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size }
        let tags = entries.keys.filter { (try? ImageReference(parsing: $0))?.tag != nil }.sorted()
        let digests = Set(entries.values.compactMap(\.repoDigest)).sorted()
        return ImageInfo(id: id, repoTags: tags, repoDigests: digests, size: size, config: config.runtimeConfig)
    }

    func manifest(_ digest: String) throws -> ImageManifest {
        if let cached = manifestCache[digest] { return cached }
        guard let data = FileManager.default.contents(atPath: try blobPath(digest)) else { throw ImageError.notPresent(digest) }
        guard case .manifest(let m) = try ManifestDocument.parse(data, contentType: nil) else {
            throw ImageError(.corrupt, "blob \(digest) is not an image manifest")
        }
        manifestCache[digest] = m
        return m
    }

    func config(_ digest: String) throws -> ImageConfigFile {
        if let cached = configCache[digest] { return cached }
        guard let data = FileManager.default.contents(atPath: try blobPath(digest)) else { throw ImageError.notPresent(digest) }
        let c = try ImageConfigFile.decode(data)
        configCache[digest] = c
        return c
    }

    // MARK: Writing content

    /// Runs `work` once per key at a time; concurrent callers with the same key wait for the same result.
    func once(_ key: String, _ work: @escaping @Sendable () async throws -> Void) async throws {
        if let running = inFlight[key] { return try await running.value }
        let task = Task { try await work() }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        try await task.value
    }

    /// Stores `data` as a blob after checking it against `expected` (when given); returns its digest.
    @discardableResult
    func storeBlob(_ data: Data, expected: String? = nil) throws -> String {
        let digest = DigestHasher.digest(of: data)
        if let expected, expected != digest { throw ImageError.digestMismatch(expected: expected, actual: digest) }
        let path = try blobPath(digest)
        if !FileManager.default.fileExists(atPath: path) {
            let temp = newTemporaryPath("blob")
            guard FileManager.default.createFile(atPath: temp, contents: data) else { throw ImageError(.unavailable, "cannot write \(temp)") }
            try AtomicFile.rename(temp, to: path)
        }
        return digest
    }

    /// Copies a local file into the blob store, verifying digest and size against `descriptor` on the way.
    func storeBlob(copying source: String, descriptor: Descriptor) async throws {
        let path = try blobPath(descriptor.digest)
        if FileManager.default.fileExists(atPath: path) { return }
        let temp = newTemporaryPath("blob")
        try await once("blob:\(descriptor.digest)") {
            let sink = try BlobFileSink(path: temp)
            do {
                guard let input = FileHandle(forReadingAtPath: source) else { throw ImageError(.invalidArchive, "cannot open \(source)") }
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { try sink.write($0) }
                }
                try sink.finish(expecting: descriptor)
                try AtomicFile.rename(temp, to: path)
            } catch {
                try? FileManager.default.removeItem(atPath: temp)
                throw error
            }
        }
    }

    /// Downloads a blob unless present, verifying digest and size before it takes its name.
    func fetchBlob(_ descriptor: Descriptor, from client: RegistryClient) async throws {
        let path = try blobPath(descriptor.digest)
        if FileManager.default.fileExists(atPath: path) { return }
        let temp = newTemporaryPath("blob")
        try await once("blob:\(descriptor.digest)") {
            let sink = try BlobFileSink(path: temp)
            do {
                try await client.blob(descriptor.digest, into: sink)
                try sink.finish(expecting: descriptor)
                try AtomicFile.rename(temp, to: path)
            } catch {
                try? sink.close()
                try? FileManager.default.removeItem(atPath: temp)
                throw error
            }
        }
    }

    /// Unpacks the layer `diffID` from its blob unless already unpacked.
    func ensureLayer(blob: String, diffID: String) async throws {
        let target = try layerPath(diffID)
        if FileManager.default.fileExists(atPath: target) { return }
        let blobFile = try blobPath(blob)
        guard FileManager.default.fileExists(atPath: blobFile) else { throw ImageError.notPresent(blob) }
        let scratch = newTemporaryPath("unpack")
        try await once("layer:\(diffID)") {
            let fm = FileManager.default
            try fm.createDirectory(atPath: scratch, withIntermediateDirectories: false)
            defer { try? fm.removeItem(atPath: scratch) }
            let rootfs = scratch + "/rootfs"
            try await LayerUnpacker.unpack(blob: blobFile, diffID: diffID, into: rootfs, scratch: scratch)
            if rename(rootfs, target) != 0 && !fm.fileExists(atPath: target) {
                throw ImageError(.unavailable, "cannot move layer into \(target): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Deletes blobs and layers no indexed image uses (called under the index lock).
    private func collectGarbage(index: ReferenceIndex, keeping busy: Set<String>) throws {
        var blobs: Set<String> = []
        var layers: Set<String> = []
        for entry in index.references.values {
            blobs.insert(entry.manifest)
            blobs.insert(entry.config)
            if let m = try? manifest(entry.manifest) { for l in m.layers { blobs.insert(l.digest) } }
            if let c = try? config(entry.config) { layers.formUnion(c.rootfs.diff_ids) }
        }
        let fm = FileManager.default
        for hex in (try? fm.contentsOfDirectory(atPath: blobsDirectory)) ?? [] {
            let digest = "sha256:" + hex
            guard !blobs.contains(digest), !busy.contains("blob:\(digest)") else { continue }
            try? fm.removeItem(atPath: blobsDirectory + "/" + hex)
            manifestCache[digest] = nil
            configCache[digest] = nil
        }
        for hex in (try? fm.contentsOfDirectory(atPath: layersDirectory)) ?? [] {
            let diffID = "sha256:" + hex
            guard !layers.contains(diffID), !busy.contains("layer:\(diffID)") else { continue }
            // Out of the way first, so no half-deleted layer is ever found under its name.
            let doomed = newTemporaryPath("removed")
            if rename(layersDirectory + "/" + hex, doomed) == 0 { try? fm.removeItem(atPath: doomed) }
        }
    }

    /// Names `id` by `names` in the index (replacing what they named before) and drops what became unused.
    func register(names: [ImageReference], entry: ReferenceIndex.Entry) throws {
        let keep = Set(inFlight.keys)
        try ReferenceIndex.update(at: indexPath) { index in
            var replaced = false
            for name in names {
                if let old = index.references[name.description], old.config != entry.config { replaced = true }
                index.references[name.description] = entry
            }
            if replaced { try collectGarbage(index: index, keeping: keep) }
        }
    }

    // MARK: Pull

    public func pullImage(_ reference: String, credentials: [RegistryCredential]) async throws -> String {
        let ref = try ImageReference(parsing: reference)
        let key = ref.description
        if let running = pulls[key] { return try await running.value }
        let task = Task { try await self.pull(ref, credentials: credentials) }
        pulls[key] = task
        defer { pulls[key] = nil }
        return try await task.value
    }

    /// Resolves the reference (a tag is always resolved again, so `Always` sees a moved tag; a digest
    /// already present needs no registry), then fetches what is missing and unpacks its layers.
    private func pull(_ ref: ImageReference, credentials: [RegistryCredential]) async throws -> String {
        let index = try ReferenceIndex.load(from: indexPath)
        if let digest = ref.digest, let id = try Self.resolve(ref.description, in: index),
           (try? await layerDirectories(for: ref.description)) != nil {
            // Present under another name: the digest reference names it too from now on.
            let pinned = ref.pinned(to: digest).description
            if index.references[ref.description] == nil,
               let entry = index.references.values.first(where: { $0.config == id && $0.repoDigest == pinned }) {
                try register(names: [ref], entry: entry)
            }
            return id
        }
        let client = RegistryClient(reference: ref, transport: transport, credentials: credentials)
        do {
            let (manifestDigest, manifest, topDigest) = try await resolveManifest(ref, client: client)
            let started = ContinuousClock.now
            do {
                try await fetchBlob(manifest.config, from: client)
            } catch let e as ImageError {
                throw ImageError(e.kind, "failed commit on ref \"config-\(manifest.config.digest)\": \(e.message)")
            }
            let config = try config(manifest.config.digest)
            guard config.rootfs.diff_ids.count == manifest.layers.count else {
                throw ImageError(.corrupt, "manifest has \(manifest.layers.count) layers but the config lists \(config.rootfs.diff_ids.count)")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (layer, diffID) in zip(manifest.layers, config.rootfs.diff_ids) {
                    group.addTask {
                        do {
                            try await self.fetchBlob(layer, from: client)
                        } catch let e as ImageError {
                            throw ImageError(e.kind, "failed commit on ref \"layer-\(layer.digest)\": \(e.message)")
                        }
                        try await self.ensureLayer(blob: layer.digest, diffID: diffID)
                    }
                }
                try await group.waitForAll()
            }
            try register(names: [ref], entry: ReferenceIndex.Entry(
                manifest: manifestDigest, config: manifest.config.digest,
                repoDigest: ref.pinned(to: topDigest).description))
            logger.info("pulled image", metadata: ["image": "\(ref)", "id": "\(manifest.config.digest)",
                                                   "duration": "\(ContinuousClock.now - started)"])
            return manifest.config.digest
        } catch let e as ImageError {
            throw e.wrappedAsPull(of: ref.description)
        }
    }

    /// The platform manifest for `ref` (through an index when the registry serves one), stored as a blob.
    /// Returns its digest, the manifest, and the digest the reference itself points at.
    private func resolveManifest(_ ref: ImageReference, client: RegistryClient) async throws -> (String, ImageManifest, String) {
        let top: (data: Data, mediaType: String?, digest: String)
        do {
            top = try await client.manifest(ref.manifestReference)
        } catch let e as ImageError {
            throw ImageError(e.kind, "failed to resolve reference \"\(ref)\": \(e.message)")
        }
        switch try ManifestDocument.parse(top.data, contentType: top.mediaType) {
        case .manifest(let m):
            try storeBlob(top.data, expected: top.digest)
            return (top.digest, m, top.digest)
        case .index(let index):
            guard let chosen = PlatformSelection.select(from: index) else {
                throw ImageError(.notFound, "no match for platform in manifest \(top.digest): not found")
            }
            let inner = try await client.manifest(chosen.digest)
            guard case .manifest(let m) = try ManifestDocument.parse(inner.data, contentType: inner.mediaType) else {
                throw ImageError(.corrupt, "manifest \(chosen.digest) of index \(top.digest) is itself an index")
            }
            try storeBlob(inner.data, expected: chosen.digest)
            return (chosen.digest, m, top.digest)
        }
    }
}

/// A blob download or copy in progress: bytes go to a temporary file and through the hasher.
final class BlobFileSink: BodySink, @unchecked Sendable {
    private let handle: FileHandle
    private var hasher = DigestHasher()
    private let lock = NSLock()

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ImageError(.unavailable, "cannot create \(path)")
        }
        handle = h
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try lock.withLock {
            hasher.update(bufferPointer: bytes)
            try handle.write(contentsOf: Data(bytes))
        }
    }

    func close() throws { try handle.close() }

    /// Closes the file and checks what was written against the descriptor.
    func finish(expecting descriptor: Descriptor) throws {
        try handle.synchronize()
        try handle.close()
        let (digest, count) = lock.withLock { (hasher.finalize(), hasher.count) }
        guard count == descriptor.size else {
            throw ImageError.sizeMismatch(digest: descriptor.digest, expected: descriptor.size, actual: count)
        }
        guard digest == descriptor.digest else { throw ImageError.digestMismatch(expected: descriptor.digest, actual: digest) }
    }
}
