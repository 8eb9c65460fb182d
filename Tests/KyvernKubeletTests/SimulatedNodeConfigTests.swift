import KyvernAPI
import Testing

@testable import KyvernKubelet

@Suite("Simulated node flags")
struct SimulatedNodeConfigTests {
    @Test func labelsParse() throws {
        #expect(try SimulatedNodeConfig.parseLabels("disktype=ssd,example.com/tier=gold,empty=") ==
            ["disktype": "ssd", "example.com/tier": "gold", "empty": ""])
        #expect(throws: SimulatedNodeConfigError.self) { try SimulatedNodeConfig.parseLabels("novalue") }
        #expect(throws: SimulatedNodeConfigError.self) { try SimulatedNodeConfig.parseLabels("bad key=x") }
        #expect(throws: SimulatedNodeConfigError.self) { try SimulatedNodeConfig.parseLabels("k=bad value") }
    }

    @Test func taintsParse() throws {
        #expect(try SimulatedNodeConfig.parseTaints("dedicated=sim:NoSchedule,gpu:PreferNoSchedule") == [
            NodeTaint(key: "dedicated", value: "sim", effect: "NoSchedule"),
            NodeTaint(key: "gpu", value: nil, effect: "PreferNoSchedule"),
        ])
        #expect(throws: SimulatedNodeConfigError("--register-with-taints: invalid taint effect: Sometimes, unsupported taint effect")) {
            try SimulatedNodeConfig.parseTaints("a=b:Sometimes")
        }
        #expect(throws: SimulatedNodeConfigError.self) { try SimulatedNodeConfig.parseTaints("a=b") }
        #expect(throws: SimulatedNodeConfigError.self) { try SimulatedNodeConfig.parseTaints("a:NoSchedule,a=x:NoSchedule") }
    }

    @Test func validationBounds() throws {
        #expect(throws: Never.self) { try SimulatedNodeConfig(count: 5000).validate() }
        #expect(throws: SimulatedNodeConfigError.self) { try SimulatedNodeConfig(count: 0).validate() }
        var config = SimulatedNodeConfig(count: 3)
        config.maxPods = 254
        #expect(throws: SimulatedNodeConfigError.self) { try config.validate() }
        config.maxPods = 110
        config.namePrefix = "Bad_Prefix"
        #expect(throws: SimulatedNodeConfigError.self) { try config.validate() }
    }

    @Test func renewalsSpreadEvenlyOverTheInterval() {
        #expect(Pacing.offset(0, of: 5000, over: .seconds(10)) == .zero)
        #expect(Pacing.offset(2500, of: 5000, over: .seconds(10)) == .seconds(5))
        #expect(Pacing.offset(1, of: 5000, over: .seconds(10)) == .milliseconds(2))
    }

    @Test func pacingBoundsConcurrency() async {
        let state = Locked((running: 0, peak: 0, done: 0))
        await Pacing.run(count: 40, limit: 4) { _ in
            state.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running) }
            try? await Task.sleep(for: .milliseconds(5))
            state.withLock { $0.running -= 1; $0.done += 1 }
        }
        #expect(state.value.done == 40)
        #expect(state.value.peak <= 4)
        #expect(state.value.peak >= 2)
    }

    @Test func addressing() {
        #expect(NodeAddressing.internalIP(0) == "172.16.0.1")
        #expect(NodeAddressing.internalIP(255) == "172.16.1.0")
        #expect(NodeAddressing.podCIDR(4999) == "10.147.135.0/24")
        #expect(NodeAddressing.podIP(node: 4999, slot: 2) == "10.147.135.2")
        #expect(NodeAddressing.slot(of: "10.147.135.9", node: 4999) == 9)
        #expect(NodeAddressing.slot(of: "10.147.136.9", node: 4999) == nil)
    }
}
