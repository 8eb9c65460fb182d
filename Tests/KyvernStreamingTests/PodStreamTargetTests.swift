import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct PodStreamTargetTests {
    func pod(_ containers: [String], node: String = "n1", state: JSONValue = ["running": [:]]) -> JSONValue {
        [
            "metadata": ["name": "p", "namespace": "ns"],
            "spec": ["nodeName": .string(node), "containers": .array(containers.map { ["name": .string($0)] }),
                     "initContainers": [["name": "init"]]],
            "status": ["containerStatuses": .array(containers.map { ["name": .string($0), "state": state] })],
        ]
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as APIError { return "\(error.code) \(error.message)" } catch { return "\(error)" }
        return nil
    }

    @Test func choosesTheOnlyContainer() throws {
        let target = try PodStreamTarget.resolve(pod: pod(["a"]), container: nil, purpose: .exec)
        #expect(target == PodStreamTarget(namespace: "ns", pod: "p", container: "a", nodeName: "n1"))
    }

    @Test func upstreamMessages() {
        #expect(message { _ = try PodStreamTarget.resolve(pod: pod(["a", "b"]), container: nil, purpose: .exec) }
                == "400 a container name must be specified for pod p, choose one of: [init a b]")
        #expect(message { _ = try PodStreamTarget.resolve(pod: pod(["a"]), container: "x", purpose: .logs(previous: false)) }
                == "400 container x is not valid for pod p")
        #expect(message { _ = try PodStreamTarget.resolve(pod: pod(["c"], state: ["waiting": ["reason": "ContainerCreating"]]),
                                                          container: "c", purpose: .logs(previous: false)) }
                == "400 container \"c\" in pod \"p\" is waiting to start: ContainerCreating")
        #expect(message { _ = try PodStreamTarget.resolve(pod: pod(["c"]), container: "c", purpose: .logs(previous: true)) }
                == "400 previous terminated container \"c\" in pod \"p\" not found")
        #expect(message { _ = try PodStreamTarget.resolve(pod: pod(["c"], node: ""), container: nil, purpose: .attach) }
                == "400 pod p does not have a host assigned")
    }

    @Test func metricsUsage() {
        let entry: JSONValue = ["cpu": ["usageNanoCores": 1500000], "memory": ["workingSetBytes": 2097152]]
        #expect(ResourceMetrics.usage(entry) == ["cpu": "1500000n", "memory": "2048Ki"])
        #expect(ResourceMetrics.usage(["cpu": ["usageCoreNanoSeconds": 5]]) == nil)
    }
}
