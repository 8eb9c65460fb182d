import Testing
@testable import KyvernControllers

@Suite struct ControllerManagerOptionsTests {
    let definitions = [
        ControllerDefinition(name: "replicaset", aliases: ["replicaset-controller"]) { _ in fatalError("not started") },
        ControllerDefinition(name: "bootstrap", enabledByDefault: false) { _ in fatalError("not started") },
    ]

    func enabled(_ controllers: [String]) -> [String] {
        var options = ControllerManagerOptions()
        options.controllers = controllers
        return definitions.filter(options.isEnabled).map(\.name)
    }

    @Test func controllersFlagFollowsUpstreamSyntax() {
        #expect(enabled(["*"]) == ["replicaset"])
        #expect(enabled(["*", "bootstrap"]) == ["replicaset", "bootstrap"])
        #expect(enabled(["*", "-replicaset"]) == [])
        #expect(enabled(["*", "-replicaset-controller"]) == [])
        #expect(enabled(["replicaset-controller"]) == ["replicaset"])
        #expect(enabled(["bootstrap"]) == ["bootstrap"])
        #expect(enabled([]) == [])
    }

    @Test func unknownNamesAreReported() {
        var options = ControllerManagerOptions()
        options.controllers = ["*", "replicaset", "-nosuch", "other"]
        #expect(options.unknownControllers(among: definitions) == ["nosuch", "other"])
    }

    @Test func workersDefaultToFive() {
        var options = ControllerManagerOptions()
        options.concurrentSyncs = ["replicaset": 2]
        #expect(options.workers(for: "replicaset") == 2)
        #expect(options.workers(for: "deployment") == 5)
        #expect(options.workers(for: "daemonset") == 2)
        #expect(options.workers(for: "tainteviction") == 8)
        options.concurrentSyncs["daemonset"] = 7
        #expect(options.workers(for: "daemonset") == 7)
    }

    @Test func volumeBinderAndProvisionerGetMoreWorkers() {
        var options = ControllerManagerOptions()
        #expect(options.workers(for: "persistentvolume-binder") == 64)
        #expect(options.workers(for: "volume-provisioner") == 64)
        options.concurrentSyncs["persistentvolume-binder"] = 3
        #expect(options.workers(for: "persistentvolume-binder") == 3)
    }
}
