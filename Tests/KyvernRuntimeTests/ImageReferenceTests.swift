import Testing
@testable import KyvernRuntime

@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest"),
        ("someone/app:v1", "docker.io/someone/app:v1"),
        ("index.docker.io/someone/app", "docker.io/someone/app:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("quay.io/org/sub/app:2", "quay.io/org/sub/app:2"),
        ("127.0.0.1:5000/busybox:1.36", "127.0.0.1:5000/busybox:1.36"),
        ("localhost/busybox", "localhost/busybox:latest"),
        ("localhost:5000/a/b", "localhost:5000/a/b:latest"),
        ("registry.local:443/x", "registry.local:443/x:latest"),
    ])
    func normalises(_ input: String, _ expected: String) throws {
        #expect(try ImageReference(parsing: input).description == expected)
    }

    @Test func digestsPinWithoutDefaultTag() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let pinned = try ImageReference(parsing: "busybox@\(digest)")
        #expect(pinned.description == "docker.io/library/busybox@\(digest)")
        #expect(pinned.tag == nil)
        #expect(pinned.manifestReference == digest)
        let both = try ImageReference(parsing: "127.0.0.1:5000/busybox:1.36@\(digest)")
        #expect(both.tag == "1.36")
        #expect(both.digest == digest)
        #expect(both.manifestReference == digest)
        #expect(both.pinned(to: digest).description == "127.0.0.1:5000/busybox@\(digest)")
    }

    @Test func partsAndRegistryAddress() throws {
        let r = try ImageReference(parsing: "127.0.0.1:5000/team/busybox:1.36")
        #expect(r.domain == "127.0.0.1:5000")
        #expect(r.path == "team/busybox")
        #expect(r.repository == "127.0.0.1:5000/team/busybox")
        #expect(r.usesPlainHTTP)
        #expect(r.registryHost == "127.0.0.1:5000")
        let hub = try ImageReference(parsing: "busybox")
        #expect(!hub.usesPlainHTTP)
        #expect(hub.registryHost == "registry-1.docker.io")
        #expect(try ImageReference(parsing: "localhost:5000/x").usesPlainHTTP)
        #expect(try !ImageReference(parsing: "registry.example:5000/x").usesPlainHTTP)
    }

    @Test(arguments: [
        "", "Busybox", "busybox:", "busybox:-bad", "busybox@sha256:abc", "busybox@md5:" + String(repeating: "a", count: 64),
        "a//b", "a/-b", "busybox:tag with space", "-busybox", "busybox_", "a/b..c", "ho st:5000/x",
        "busybox@sha256:" + String(repeating: "A", count: 64),
    ])
    func rejectsInvalid(_ input: String) {
        #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
    }

    @Test func invalidReferenceMessageNamesTheInput() {
        do {
            _ = try ImageReference(parsing: "Busybox")
            Issue.record("parsed")
        } catch {
            #expect(error.kind == .invalidReference)
            #expect(error.message == "couldn't parse image name \"Busybox\": repository name must be lowercase")
        }
        do {
            _ = try ImageReference(parsing: "a//b")
            Issue.record("parsed")
        } catch {
            #expect(error.message == "couldn't parse image name \"a//b\": invalid reference format")
        }
    }

    @Test func uppercaseFirstComponentIsADomain() throws {
        // As in upstream: a first component that is not all lowercase names a registry host.
        #expect(try ImageReference(parsing: "Registry/app").domain == "Registry")
    }
}
