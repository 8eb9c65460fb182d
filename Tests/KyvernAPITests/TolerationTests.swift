import KyvernAPI
import Testing

@Suite struct TolerationTests {
    let notReady = Taint(key: "node.kubernetes.io/not-ready", effect: "NoExecute")

    @Test func keyAndEffectMatchingIgnoresOperatorAndValue() {
        #expect(Toleration(key: "node.kubernetes.io/not-ready", value: "x").matchesKeyAndEffect(of: notReady))
        #expect(Toleration(op: "Exists").matchesKeyAndEffect(of: notReady))
        #expect(Toleration(key: "node.kubernetes.io/not-ready", effect: "NoExecute").matchesKeyAndEffect(of: notReady))
        #expect(!Toleration(key: "node.kubernetes.io/not-ready", effect: "NoSchedule").matchesKeyAndEffect(of: notReady))
        #expect(!Toleration(key: "other", op: "Exists").matchesKeyAndEffect(of: notReady))
    }

    @Test func toleratesChecksTheValueUnlessExists() {
        let gpu = Taint(key: "dedicated", value: "gpu", effect: "NoSchedule")
        #expect(Toleration(key: "dedicated", value: "gpu").tolerates(gpu))
        #expect(!Toleration(key: "dedicated", value: "cpu").tolerates(gpu))
        #expect(Toleration(key: "dedicated", op: "Exists").tolerates(gpu))
        #expect(!Toleration(key: "dedicated", op: "Bogus", value: "gpu").tolerates(gpu))
        #expect(!Toleration(key: "node.kubernetes.io/not-ready", value: "x").tolerates(notReady))
        let pod: JSONValue = ["spec": ["tolerations": [["key": "dedicated", "operator": "Exists", "effect": "NoSchedule"]]]]
        #expect(Toleration.of(pod: pod).tolerate(gpu))
        #expect(Taint(json: ["key": "k", "value": "v", "effect": "NoExecute"]) == Taint(key: "k", value: "v", effect: "NoExecute"))
    }
}
