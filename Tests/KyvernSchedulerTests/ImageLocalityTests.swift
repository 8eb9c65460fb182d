import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct ImageLocalityTests {
    static let mb: Int64 = 1024 * 1024

    func node(_ name: String, _ images: [(names: [String], size: Int64)]) -> JSONValue {
        var node = Fixtures.node(name)
        node[path: ["status", "images"]] = .array(images.map { image in
            ["names": .array(image.names.map { .string($0) }), "sizeBytes": .int(image.size)]
        })
        return node
    }

    @Test func imageNamesDefaultToLatest() {
        #expect(ImageLocality.normalized("nginx") == "nginx:latest")
        #expect(ImageLocality.normalized("registry:5000/app") == "registry:5000/app:latest")
        #expect(ImageLocality.normalized("registry:5000/app:v1") == "registry:5000/app:v1")
    }

    @Test func scoresBySizeScaledBySpread() {
        let snapshot = Snapshot(nodes: [
            NodeInfo(node: node("a", [(["big:v1"], 523 * Self.mb), (["nginx:latest", "docker.io/nginx:latest"], 100 * Self.mb)])),
            NodeInfo(node: node("b", [(["nginx:latest"], 100 * Self.mb)])),
            NodeInfo(node: node("c", [])),
            NodeInfo(node: node("d", [(["tiny:v1"], 10 * Self.mb)])),
        ])
        let plugin = ImageLocality()
        let pod = Fixtures.pod(spec: ["containers": [
            Fixtures.container("a", extra: ["image": "big:v1"]), Fixtures.container("b", extra: ["image": "nginx"])]])
        func score(_ name: String, _ pod: JSONValue) -> Int64 {
            plugin.score(state: CycleState(), pod: pod, node: snapshot[name]!)
        }
        // a: 523MiB * 1/4 + 100MiB * 2/4 = 180.75MiB; range 23MiB...2000MiB.
        let sumA = Int64(Double(523 * Self.mb) * 0.25) + Int64(Double(100 * Self.mb) * 0.5)
        #expect(score("a", pod) == 100 * (sumA - 23 * Self.mb) / (2000 * Self.mb - 23 * Self.mb))
        #expect(score("a", pod) == 7)
        // b: 50MiB.
        #expect(score("b", pod) == 1)
        #expect(score("c", pod) == 0)
        // Below the threshold scores nothing.
        let tiny = Fixtures.pod(spec: ["containers": [Fixtures.container(extra: ["image": "tiny:v1"])]])
        #expect(score("d", tiny) == 0)
    }
}
