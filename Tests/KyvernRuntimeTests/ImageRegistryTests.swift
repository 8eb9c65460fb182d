import Foundation
import Logging
import Testing
@testable import KyvernRuntime

/// An OCI distribution registry and its token service, in memory. It serves manifests only to requests
/// whose Accept header names their media type (as distribution does), and checks Authorization.
final class FakeRegistry: RegistryTransport, @unchecked Sendable {
    enum Auth { case none, basic(user: String, password: String), bearer(user: String?, password: String?) }
    let auth: Auth
    private let lock = NSLock()
    private var manifests: [String: (data: Data, type: String)] = [:]
    private var blobs: [String: Data] = [:]
    private var log: [String] = []
    static let token = "tok-123"

    init(auth: Auth = .none) { self.auth = auth }

    var requests: [String] { lock.withLock { log } }

    func putBlob(_ data: Data) -> Descriptor {
        let digest = DigestHasher.digest(of: data)
        lock.withLock { blobs[digest] = data }
        return Descriptor(mediaType: nil, digest: digest, size: Int64(data.count))
    }

    /// Replaces a blob's bytes while keeping its digest name: a damaged registry.
    func corrupt(_ digest: String) {
        lock.withLock {
            var d = blobs[digest]!
            d[d.count / 2] ^= 0xff
            blobs[digest] = d
        }
    }

    @discardableResult
    func putManifest(_ object: some Encodable, type: String, tags: [String]) throws -> String {
        let data = try JSONEncoder().encode(object)
        let digest = DigestHasher.digest(of: data)
        lock.withLock {
            for t in tags + [digest] { manifests[t] = (data, type) }
        }
        return digest
    }

    private func authorized(_ request: RegistryRequest) -> Bool {
        let header = request.headers.first { $0.0 == "Authorization" }?.1
        switch auth {
        case .none: return true
        case .basic(let u, let p): return header == "Basic " + Data("\(u):\(p)".utf8).base64EncodedString()
        case .bearer: return header == "Bearer \(Self.token)"
        }
    }

    func send(_ request: RegistryRequest, sink: (any BodySink)?) async throws -> RegistryResponse {
        lock.withLock { log.append("\(request.method) \(request.url)") }
        if request.url.hasPrefix("https://auth.example/token") {
            guard case .bearer(let user, let password) = auth else { return RegistryResponse(status: 404, headers: [:], body: Data()) }
            if let user, let password {
                let header = request.headers.first { $0.0 == "Authorization" }?.1
                guard header == "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() else {
                    return RegistryResponse(status: 401, headers: [:], body: Data())
                }
            }
            return RegistryResponse(status: 200, headers: [:], body: Data(#"{"token":"\#(Self.token)","expires_in":300}"#.utf8))
        }
        guard authorized(request) else {
            let challenge: String
            switch auth {
            case .basic: challenge = #"Basic realm="registry""#
            default: challenge = #"Bearer realm="https://auth.example/token",service="fake.example",scope="repository:team/app:pull""#
            }
            return RegistryResponse(status: 401, headers: ["www-authenticate": challenge],
                                    body: Data(#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.utf8))
        }
        let path = request.url.components(separatedBy: "/v2/team/app/").last ?? ""
        if path.hasPrefix("manifests/") {
            let ref = String(path.dropFirst("manifests/".count))
            let accept = request.headers.first { $0.0 == "Accept" }?.1 ?? ""
            guard let m = lock.withLock({ manifests[ref] }), accept.contains(m.type) else {
                return RegistryResponse(status: 404, headers: [:], body: Data(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.utf8))
            }
            return RegistryResponse(status: 200, headers: ["content-type": m.type], body: m.data)
        }
        if path.hasPrefix("blobs/") {
            guard let data = lock.withLock({ blobs[String(path.dropFirst("blobs/".count))] }) else {
                return RegistryResponse(status: 404, headers: [:], body: Data())
            }
            if let sink {
                try data.withUnsafeBytes { try sink.write($0) }
                return RegistryResponse(status: 200, headers: [:], body: Data())
            }
            return RegistryResponse(status: 200, headers: [:], body: data)
        }
        return RegistryResponse(status: 404, headers: [:], body: Data())
    }
}

/// A one-layer image published in a fake registry as `fake.example/team/app:<tag>`.
struct PublishedImage {
    var config: Descriptor
    var layer: Descriptor
    var manifestDigest: String
    var diffID: String

    static func publish(in registry: FakeRegistry, scratch: ImageScratch, tag: String = "v1",
                        asIndex: Bool = false) async throws -> PublishedImage {
        try scratch.write("src/bin/hello", "hello from \(tag)")
        let (blob, diffID) = try await scratch.layer(of: scratch.path + "/src")
        var layer = registry.putBlob(try Data(contentsOf: URL(fileURLWithPath: blob)))
        layer.mediaType = MediaType.ociLayerGzip
        let config = #"{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/hello"],"Env":["A=1"],"WorkingDir":"/w","User":"1000"},"rootfs":{"type":"layers","diff_ids":["\#(diffID)"]}}"#
        var configDescriptor = registry.putBlob(Data(config.utf8))
        configDescriptor.mediaType = MediaType.ociConfig
        let manifest = ImageManifest(schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers: [layer])
        let digest = try registry.putManifest(manifest, type: MediaType.ociManifest, tags: asIndex ? [] : [tag])
        if asIndex {
            let data = try JSONEncoder().encode(manifest)
            let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.dockerManifestList, manifests: [
                Descriptor(mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: "1", count: 64), size: 10,
                           platform: Platform(architecture: "arm64", os: "linux")),
                Descriptor(mediaType: MediaType.ociManifest, digest: digest, size: Int64(data.count),
                           platform: Platform(architecture: PlatformSelection.hostArchitecture, os: "linux")),
            ])
            try registry.putManifest(index, type: MediaType.dockerManifestList, tags: [tag])
        }
        return PublishedImage(config: configDescriptor, layer: layer, manifestDigest: digest, diffID: diffID)
    }
}

@Suite struct ImageRegistryTests {
    @Test func parsesBearerChallenge() {
        let c = AuthChallenge.parse(#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#)
        #expect(c == [AuthChallenge(scheme: "bearer", parameters: [
            "realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/busybox:pull"])])
    }

    @Test func parsesSeveralChallengesAndQuotedCommas() {
        let c = AuthChallenge.parse(#"Basic realm="a, b", Bearer realm="https://x/t",scope="repository:a:pull,push" , error="insufficient_scope""#)
        #expect(c.count == 2)
        #expect(c[0] == AuthChallenge(scheme: "basic", parameters: ["realm": "a, b"]))
        #expect(c[1].parameters["scope"] == "repository:a:pull,push")
        #expect(c[1].parameters["error"] == "insufficient_scope")
        #expect(AuthChallenge.parse(#"Basic realm=registry"#) == [AuthChallenge(scheme: "basic", parameters: ["realm": "registry"])])
        #expect(AuthChallenge.parse(#"Bearer realm="a\"b""#)[0].parameters["realm"] == #"a"b"#)
        #expect(AuthChallenge.parse("").isEmpty)
    }

    @Test func selectsLinuxHostArchitectureWithoutVariant() {
        let d = { (arch: String, os: String, variant: String?, n: Character) in
            Descriptor(mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: n, count: 64), size: 1,
                       platform: Platform(architecture: arch, os: os, variant: variant))
        }
        let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [
            d("arm", "linux", "v7", "1"), d("amd64", "windows", nil, "2"), d("amd64", "linux", "v3", "3"),
            d("amd64", "linux", nil, "4"), d("arm64", "linux", "v8", "5"),
        ])
        #expect(PlatformSelection.select(from: index, architecture: "amd64")?.digest.hasSuffix("4444") == true)
        #expect(PlatformSelection.select(from: index, architecture: "arm64")?.digest.hasSuffix("5555") == true)
        #expect(PlatformSelection.select(from: index, architecture: "s390x") == nil)
        let attestations = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [
            Descriptor(mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: "9", count: 64), size: 1,
                       platform: Platform(architecture: "unknown", os: "unknown")),
            d("amd64", "linux", nil, "6"),
        ])
        #expect(PlatformSelection.select(from: attestations, architecture: "amd64")?.digest.hasSuffix("6666") == true)
    }

    @Test func credentialMatchesRegistryHost() {
        let creds = [RegistryCredential(registry: "https://index.docker.io/v1/", username: "hub", password: "p"),
                     RegistryCredential(registry: "127.0.0.1:5000", username: "local", password: "q")]
        #expect(RegistryClient.credential(for: "docker.io", in: creds)?.username == "hub")
        #expect(RegistryClient.credential(for: "127.0.0.1:5000", in: creds)?.username == "local")
        #expect(RegistryClient.credential(for: "127.0.0.1:5001", in: creds) == nil)
    }
}

@Suite(.enabled(if: getuid() == 0, "unpacking layers keeps owners: root only"))
struct ImageStorePullTests {
    func store(_ scratch: ImageScratch, _ registry: FakeRegistry) throws -> ImageStore {
        try ImageStore(root: scratch.path + "/store", logger: Logger(label: "test"), transport: registry)
    }

    @Test func pullsThroughTokenFlowWithCredentials() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry(auth: .bearer(user: "alice", password: "pw"))
        let image = try await PublishedImage.publish(in: registry, scratch: s)
        let images = try store(s, registry)
        let id = try await images.pullImage("fake.example/team/app:v1",
                                            credentials: [RegistryCredential(registry: "fake.example", username: "alice", password: "pw")])
        #expect(id == image.config.digest)
        #expect(registry.requests.contains("GET https://auth.example/token?service=fake.example&scope=repository:team/app:pull"))
        // One token for the whole pull: manifest, then config and layer with the same authorization.
        #expect(registry.requests.filter { $0.hasPrefix("GET https://auth.example/token") }.count == 1)

        let info = try #require(try await images.imageStatus("fake.example/team/app:v1"))
        #expect(info.repoTags == ["fake.example/team/app:v1"])
        #expect(info.repoDigests == ["fake.example/team/app@\(image.manifestDigest)"])
        #expect(info.size == image.config.size + image.layer.size)
        #expect(info.config == ImageRuntimeConfig(cmd: ["/bin/hello"], env: ["A=1"], workingDir: "/w", user: "1000"))
        let (_, layers) = try await images.layerDirectories(for: "fake.example/team/app@\(image.manifestDigest)")
        #expect(layers == [s.path + "/store/layers/" + image.diffID.dropFirst(7)])
        #expect(FileManager.default.contents(atPath: layers[0] + "/bin/hello") == Data("hello from v1".utf8))
        #expect(try await images.imageStatus(String(id.dropFirst(7).prefix(12)))?.id == id)
    }

    @Test func wrongCredentialsAreRefusedByTheTokenService() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry(auth: .bearer(user: "alice", password: "pw"))
        _ = try await PublishedImage.publish(in: registry, scratch: s)
        let error = await #expect(throws: ImageError.self) {
            try await self.store(s, registry).pullImage("fake.example/team/app:v1",
                credentials: [RegistryCredential(registry: "fake.example", username: "alice", password: "nope")])
        }
        #expect(error?.kind == .unauthorized)
        #expect(error?.message == #"failed to pull and unpack image "fake.example/team/app:v1": failed to resolve reference "fake.example/team/app:v1": failed to fetch oauth token: unexpected status from GET request to https://auth.example/token?service=fake.example&scope=repository:team/app:pull: 401 Unauthorized"#)
    }

    @Test func basicAuthWithAndWithoutCredentials() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry(auth: .basic(user: "bob", password: "pw"))
        let image = try await PublishedImage.publish(in: registry, scratch: s)
        let images = try store(s, registry)
        let error = await #expect(throws: ImageError.self) { try await images.pullImage("fake.example/team/app:v1", credentials: []) }
        #expect(error?.kind == .unauthorized)
        #expect(error?.message.contains("pull access denied, repository does not exist or may require authorization") == true)
        let id = try await images.pullImage("fake.example/team/app:v1",
                                            credentials: [RegistryCredential(registry: "fake.example", username: "bob", password: "pw")])
        #expect(id == image.config.digest)
    }

    @Test func picksThePlatformManifestFromAnIndex() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry()
        let image = try await PublishedImage.publish(in: registry, scratch: s, asIndex: true)
        let images = try store(s, registry)
        #expect(try await images.pullImage("fake.example/team/app:v1", credentials: []) == image.config.digest)
        let info = try #require(try await images.imageStatus("fake.example/team/app:v1"))
        // The repo digest is what the tag points at: the index, not the platform manifest.
        #expect(info.repoDigests.count == 1)
        #expect(info.repoDigests[0] != "fake.example/team/app@\(image.manifestDigest)")
        #expect(!registry.requests.contains { $0.contains("1111111111") })
    }

    @Test func corruptLayerIsRejectedAndNothingIsNamed() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry()
        let image = try await PublishedImage.publish(in: registry, scratch: s)
        registry.corrupt(image.layer.digest)
        let images = try store(s, registry)
        let error = await #expect(throws: ImageError.self) { try await images.pullImage("fake.example/team/app:v1", credentials: []) }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.hasPrefix(#"failed to pull and unpack image "fake.example/team/app:v1": failed commit on ref "layer-\#(image.layer.digest)": unexpected commit digest sha256:"#) == true)
        #expect(error?.message.hasSuffix(", expected \(image.layer.digest): failed precondition") == true)
        #expect(try await images.imageStatus("fake.example/team/app:v1") == nil)
        #expect(!FileManager.default.fileExists(atPath: s.path + "/store/blobs/sha256/" + image.layer.digest.dropFirst(7)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path + "/store/tmp").isEmpty)
    }

    @Test func unknownTagReadsLikeContainerd() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry()
        let error = await #expect(throws: ImageError.self) { try await self.store(s, registry).pullImage("fake.example/team/app:nope", credentials: []) }
        #expect(error?.kind == .notFound)
        #expect(error?.message == #"failed to pull and unpack image "fake.example/team/app:nope": failed to resolve reference "fake.example/team/app:nope": fake.example/team/app:nope: not found"#)
    }

    @Test func concurrentPullsShareDownloadsAndRemovalCollectsContent() async throws {
        let s = try ImageScratch()
        let registry = FakeRegistry()
        let image = try await PublishedImage.publish(in: registry, scratch: s)
        let images = try store(s, registry)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 { group.addTask { try await images.pullImage("fake.example/team/app:v1", credentials: []) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(ids) == [image.config.digest])
        #expect(registry.requests.filter { $0.hasSuffix(image.layer.digest) }.count == 1)
        #expect(try await images.listImages().map(\.id) == [image.config.digest])

        try await images.removeImage("fake.example/team/app:v1")
        #expect(try await images.listImages().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path + "/store/blobs/sha256").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.path + "/store/layers").isEmpty)
        let error = await #expect(throws: ImageError.self) { try await images.removeImage("fake.example/team/app:v1") }
        #expect(error?.kind == .notPresent)
    }
}
