import Foundation
import KyvernRuntime
import KyvernRuntimeCRI
import Testing

@Suite struct CRICtlTablesTests {
    let now = Date(timeIntervalSince1970: 10_000)

    @Test func agesInCrictlWords() {
        #expect(CRICtlTables.age(now, now: now) == "Less than a second ago")
        #expect(CRICtlTables.age(now.addingTimeInterval(-1), now: now) == "1 second ago")
        #expect(CRICtlTables.age(now.addingTimeInterval(-125), now: now) == "2 minutes ago")
        #expect(CRICtlTables.age(now.addingTimeInterval(-7200), now: now) == "2 hours ago")
        #expect(CRICtlTables.age(now.addingTimeInterval(-86_400), now: now) == "1 day ago")
    }

    @Test func shortIDsDropTheDigestAlgorithm() {
        #expect(CRICtlTables.shortID("sha256:0123456789abcdef") == "0123456789abc")
        #expect(CRICtlTables.shortID("abc") == "abc")
    }

    @Test func podsAndContainersTables() {
        let sandbox = PodSandboxStatus(id: "aaaaaaaaaaaaaaaaaaaa", metadata: PodSandboxMetadata(name: "web", namespace: "prod", uid: "u"),
                                       state: .ready, createdAt: now.addingTimeInterval(-5))
        let pods = CRICtlTables.pods([sandbox], now: now).split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(pods[0] == ["POD", "ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"])
        #expect(pods[1] == ["aaaaaaaaaaaaa", "5", "seconds", "ago", "Ready", "web", "prod", "0", "(default)"])
        let container = ContainerStatus(id: "cccccccccccccccccc", sandboxID: sandbox.id, metadata: ContainerMetadata(name: "main", attempt: 2),
                                        state: .exited, createdAt: now.addingTimeInterval(-60), image: "busybox",
                                        imageID: "sha256:bbbbbbbbbbbbbbbbbbbb", logPath: "/x")
        let rows = CRICtlTables.containers([container], sandboxes: [sandbox], now: now).split(separator: "\n")
            .map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(rows[0] == ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD", "ID", "POD"])
        #expect(rows[1] == ["ccccccccccccc", "bbbbbbbbbbbbb", "1", "minute", "ago", "Exited", "main", "2", "aaaaaaaaaaaaa", "web"])
    }

    @Test func imagesSplitRepositoryAndTag() {
        let image = ImageInfo(id: "sha256:ffffffffffffffffff", repoTags: ["127.0.0.1:5000/busybox:e2e"], repoDigests: [],
                              size: 1_234_567, config: ImageRuntimeConfig())
        let untagged = ImageInfo(id: "sha256:eeeeeeeeeeeeeeeee", repoTags: [], repoDigests: [], size: 999, config: ImageRuntimeConfig())
        let lines = CRICtlTables.images([image, untagged]).split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(lines[0] == ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"])
        #expect(lines[1] == ["127.0.0.1:5000/busybox", "e2e", "fffffffffffff", "1.23MB"])
        #expect(lines[2] == ["<none>", "<none>", "eeeeeeeeeeeee", "999B"])
    }

    @Test func logLinesLoseTheirCRIPrefixAndPartialsJoin() {
        let text = """
        2026-11-27T22:00:00.000000000Z stdout F hello
        2026-11-27T22:00:01.000000000Z stderr P par
        2026-11-27T22:00:01.000000001Z stderr F tial
        2026-11-27T22:00:02.000000000Z stdout F 

        """
        #expect(CRICtlTables.logMessages(text) == "hello\npartial\n\n")
    }
}
