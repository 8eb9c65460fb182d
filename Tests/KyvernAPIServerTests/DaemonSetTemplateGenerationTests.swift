import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("DaemonSet template generation")
struct DaemonSetTemplateGenerationTests {
    static let key = "deprecated.daemonset.template.generation"

    static func daemonSet(image: String, generation: String? = nil) -> JSONValue {
        var ds: JSONValue = [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent", "namespace": "kube-system"],
            "spec": ["selector": ["matchLabels": ["app": "agent"]],
                     "template": ["metadata": ["labels": ["app": "agent"]],
                                  "spec": ["containers": [["name": "c", "image": .string(image)]]]]],
        ]
        if let generation { ds[path: ["metadata", "annotations", key]] = .string(generation) }
        return ds
    }

    @Test("a new DaemonSet starts at template generation 1, through the kind's create step")
    func create() throws {
        let info = try #require(ResourceCatalog.all.first { $0.group == "apps" && $0.resource == "daemonsets" })
        var ds = Self.daemonSet(image: "a")
        KindStrategy(info: info).prepareForCreate(&ds)
        #expect(ds[path: ["metadata", "annotations", Self.key]] == "1")
    }

    @Test("a template change adds one; any other change, or the client's own value, keeps the stored one")
    func update() {
        let old = Self.daemonSet(image: "a", generation: "3")
        var changed = Self.daemonSet(image: "b", generation: "3")
        DaemonSetTemplateGeneration.prepareForUpdate(&changed, old: old)
        #expect(changed[path: ["metadata", "annotations", Self.key]] == "4")

        var forged = Self.daemonSet(image: "a", generation: "99")
        DaemonSetTemplateGeneration.prepareForUpdate(&forged, old: old)
        #expect(forged[path: ["metadata", "annotations", Self.key]] == "3")

        var dropped = Self.daemonSet(image: "a")
        DaemonSetTemplateGeneration.prepareForUpdate(&dropped, old: old)
        #expect(dropped[path: ["metadata", "annotations", Self.key]] == "3")
    }
}
