import KyvernAPI
import Testing
@testable import KyvernScheduler

@Suite struct NodeAffinityTests {
    let plugin = NodeAffinity()
    let node = NodeInfo(node: Fixtures.node("n1", labels: ["disktype": "ssd", "zone": "a", "cores": "16"]))

    func filter(_ pod: JSONValue, _ node: NodeInfo) -> Status {
        var state = CycleState()
        let pre = plugin.preFilter(state: &state, pod: pod, nodes: [node])
        if pre.isSkip { return pre }
        return plugin.filter(state: state, pod: pod, node: node)
    }

    func required(_ terms: JSONValue...) -> JSONValue {
        Fixtures.pod(spec: ["affinity": ["nodeAffinity": [
            "requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": .array(terms)]]]])
    }

    func expr(_ key: String, _ op: String, _ values: [String] = []) -> JSONValue {
        ["matchExpressions": [["key": .string(key), "operator": .string(op), "values": .array(values.map { .string($0) })]]]
    }

    @Test func podWithoutConstraintsSkips() {
        #expect(filter(Fixtures.pod(), node).isSkip)
    }

    @Test func nodeSelectorMustMatchEveryLabel() {
        #expect(filter(Fixtures.pod(spec: ["nodeSelector": ["disktype": "ssd"]]), node) == .success)
        #expect(filter(Fixtures.pod(spec: ["nodeSelector": ["disktype": "ssd", "zone": "b"]]), node)
            == .unresolvable("node(s) didn't match Pod's node affinity/selector"))
    }

    @Test(arguments: [
        ("disktype", "In", ["hdd", "ssd"], true), ("disktype", "In", ["hdd"], false),
        ("disktype", "NotIn", ["hdd"], true), ("disktype", "NotIn", ["ssd"], false),
        ("missing", "NotIn", ["x"], true), ("missing", "In", ["x"], false),
        ("zone", "Exists", [], true), ("missing", "Exists", [], false),
        ("missing", "DoesNotExist", [], true), ("zone", "DoesNotExist", [], false),
        ("cores", "Gt", ["8"], true), ("cores", "Gt", ["16"], false), ("cores", "Lt", ["17"], true),
        ("cores", "Lt", ["16"], false), ("zone", "Gt", ["1"], false), ("cores", "Gt", ["x"], false),
        ("missing", "Lt", ["100"], false),
    ])
    func operators(key: String, op: String, values: [String], matches: Bool) {
        #expect(filter(required(expr(key, op, values)), node).isSuccess == matches)
    }

    @Test func termsAreOredExpressionsAnded() {
        let both: JSONValue = ["matchExpressions": [
            ["key": "disktype", "operator": "In", "values": ["ssd"]],
            ["key": "zone", "operator": "In", "values": ["b"]]]]
        #expect(!filter(required(both), node).isSuccess)
        #expect(filter(required(both, expr("zone", "In", ["a"])), node).isSuccess)
        // An empty term matches nothing, and so does an empty term list.
        #expect(!filter(required([:]), node).isSuccess)
        #expect(!filter(required(), node).isSuccess)
        // nodeSelector and affinity must both hold.
        var pod = required(expr("zone", "In", ["a"]))
        pod[path: ["spec", "nodeSelector"]] = ["disktype": "hdd"]
        #expect(!filter(pod, node).isSuccess)
    }

    @Test func matchFieldsOnNodeName() {
        let byName: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "In", "values": ["n1", "n2"]]]]
        let notName: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "NotIn", "values": ["n1"]]]]
        let otherField: JSONValue = ["matchFields": [["key": "metadata.uid", "operator": "In", "values": ["n1"]]]]
        #expect(filter(required(byName), node).isSuccess)
        #expect(!filter(required(notName), node).isSuccess)
        #expect(!filter(required(otherField), node).isSuccess)
    }

    @Test func preferredTermsScoreBySummedWeightThenNormalize() {
        let pod = Fixtures.pod(spec: ["affinity": ["nodeAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [
            ["weight": 5, "preference": expr("disktype", "In", ["ssd"])],
            ["weight": 3, "preference": expr("zone", "In", ["a"])],
            ["weight": 0, "preference": expr("zone", "Exists")],
        ]]]])
        let nodes = [
            node,
            NodeInfo(node: Fixtures.node("n2", labels: ["disktype": "ssd", "zone": "b"])),
            NodeInfo(node: Fixtures.node("n3", labels: ["zone": "c"])),
        ]
        var state = CycleState()
        #expect(plugin.preScore(state: &state, pod: pod, nodes: nodes) == .success)
        var scores = nodes.map { NodeScore(name: $0.name, score: plugin.score(state: state, pod: pod, node: $0)) }
        #expect(scores.map(\.score) == [8, 5, 0])
        plugin.normalizeScores(state: state, pod: pod, scores: &scores)
        #expect(scores.map(\.score) == [100, 62, 0])
        #expect(plugin.preScore(state: &state, pod: Fixtures.pod(), nodes: nodes).isSkip)
    }
}
