import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite("TaintNodesByCondition admission")
struct TaintNodesByConditionTests {
    private func strategy() throws -> KindStrategy {
        let info = try #require(ResourceCatalog.all.first { $0.group == "" && $0.resource == "nodes" })
        return KindStrategy(info: info)
    }

    @Test("a new Node is born with not-ready:NoSchedule, beside its own taints")
    func addsTheTaint() throws {
        var node: JSONValue = ["metadata": ["name": "n1"],
                               "spec": ["taints": [["key": "dedicated", "value": "gpu", "effect": "NoExecute"]]]]
        try strategy().prepareForCreate(&node)
        #expect(node[path: ["spec", "taints"]] == [
            ["key": "dedicated", "value": "gpu", "effect": "NoExecute"],
            ["key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"],
        ])
    }

    @Test("a Node that already carries the taint gets no second one; another effect of the key does not count")
    func noDuplicate() throws {
        var tainted: JSONValue = ["metadata": ["name": "n1"],
                                  "spec": ["taints": [["key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"]]]]
        try strategy().prepareForCreate(&tainted)
        #expect(tainted[path: ["spec", "taints"]]?.arrayValue?.count == 1)

        var noExecute: JSONValue = ["metadata": ["name": "n2"],
                                    "spec": ["taints": [["key": "node.kubernetes.io/not-ready", "effect": "NoExecute"]]]]
        try strategy().prepareForCreate(&noExecute)
        #expect(noExecute[path: ["spec", "taints"]]?.arrayValue?.count == 2)
    }

    @Test("other kinds are left alone")
    func otherKinds() throws {
        let info = try #require(ResourceCatalog.all.first { $0.group == "" && $0.resource == "pods" })
        var pod: JSONValue = ["metadata": ["name": "p"], "spec": ["containers": [["name": "c", "image": "x"]]]]
        KindStrategy(info: info).prepareForCreate(&pod)
        #expect(pod[path: ["spec", "taints"]] == nil)
    }
}
