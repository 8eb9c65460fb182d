import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

@Suite("Container environment")
struct EnvResolveTests {
    func pod(_ container: JSONValue, extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: JSONValue = ["containers": [container], "nodeName": "node-a", "serviceAccountName": "robot"]
        for (key, value) in extra { spec[key] = value }
        return ["metadata": ["name": "web", "namespace": "shop", "uid": "uid-1",
                             "labels": ["app": "web", "tier": "front"],
                             "annotations": ["note": "say \"hi\"\n"]],
                "spec": spec]
    }

    func fake() throws -> FakeClient {
        let client = FakeClient()
        try client.seed(.configMaps, ["metadata": ["name": "settings", "namespace": "shop"],
                                      "data": ["MODE": "fast", "LEVEL": "3", "1st": "one", "bad=key": "x"]])
        try client.seed(.secrets, ["metadata": ["name": "creds", "namespace": "shop"],
                                   "data": ["PASSWORD": .string(Data("s3cret".utf8).base64EncodedString())]])
        try client.seed(.nodes, ["metadata": ["name": "node-a"],
                                 "status": ["allocatable": ["cpu": "4", "memory": "8Gi", "ephemeral-storage": "100Gi"]]])
        return client
    }

    func resolve(_ container: JSONValue, client: FakeClient, podIP: String = "10.88.0.5") async throws -> [String: String] {
        let env = try await ContainerEnvironment(client: client)
            .resolve(pod: pod(container), container: container, nodeName: "node-a", nodeIP: "192.168.1.10", podIP: podIP)
        return Dictionary(env.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    @Test func valuesExpandAgainstEarlierVariablesInDeclarationOrder() async throws {
        let container: JSONValue = ["name": "app", "env": [
            ["name": "LATER_REF", "value": "$(B)"],
            ["name": "B", "value": "b"],
            ["name": "C", "value": "$(B)-$(MODE)-$$(B)"],
            ["name": "EMPTY"],
        ], "envFrom": [["configMapRef": ["name": "settings"]]]]
        let client = try fake()
        let env = try await ContainerEnvironment(client: client)
            .resolve(pod: pod(container), container: container, nodeName: "node-a", nodeIP: "192.168.1.10", podIP: "")
        let byName = Dictionary(env.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(byName["LATER_REF"] == "$(B)")
        #expect(byName["C"] == "b-fast-$(B)")
        #expect(byName["EMPTY"] == "")
        // envFrom keys first, then env in declaration order.
        #expect(env.map(\.name) == ["1st", "LEVEL", "MODE", "LATER_REF", "B", "C", "EMPTY"])
    }

    @Test func envFromPrefixesAndSkipsInvalidNamesWithAWarning() async throws {
        let container: JSONValue = ["name": "app", "envFrom": [
            ["prefix": "CM_", "configMapRef": ["name": "settings"]],
            ["secretRef": ["name": "creds"]],
            ["configMapRef": ["name": "absent", "optional": true]],
        ], "env": [["name": "CM_MODE", "value": "override"]]]
        let resolved = try await ContainerEnvironment(client: try fake())
            .resolveReporting(pod: pod(container), container: container, nodeName: "node-a", nodeIP: "1.2.3.4", podIP: "")
        let byName = Dictionary(resolved.variables.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(byName == ["CM_1st": "one", "CM_LEVEL": "3", "CM_MODE": "override", "PASSWORD": "s3cret"])
        #expect(resolved.warnings == ["Keys [CM_bad=key] from the EnvFrom configMap shop/settings were skipped since they are considered invalid environment variable names."])
    }

    @Test func keyRefsReadConfigMapsAndSecrets() async throws {
        let env = try await resolve(["name": "app", "env": [
            ["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "MODE"]]],
            ["name": "PW", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "PASSWORD"]]],
            ["name": "OPT_KEY", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "nope", "optional": true]]],
            ["name": "OPT_MAP", "valueFrom": ["secretKeyRef": ["name": "nope", "key": "x", "optional": true]]],
        ]], client: try fake())
        #expect(env == ["MODE": "fast", "PW": "s3cret"])
    }

    @Test func missingSourcesFailWithUpstreamMessages() async throws {
        let client = try fake()
        let cases: [(JSONValue, String)] = [
            (["configMapKeyRef": ["name": "x", "key": "k"]], "configmap \"x\" not found"),
            (["secretKeyRef": ["name": "x", "key": "k"]], "secret \"x\" not found"),
            (["configMapKeyRef": ["name": "settings", "key": "k"]], "couldn't find key k in ConfigMap shop/settings"),
            (["secretKeyRef": ["name": "creds", "key": "k"]], "couldn't find key k in Secret shop/creds"),
            (["fieldRef": ["fieldPath": "spec.bogus"]], "field label not supported: spec.bogus"),
            (["resourceFieldRef": ["resource": "limits.gpu"]], "unsupported container resource : limits.gpu"),
        ]
        for (source, message) in cases {
            let container: JSONValue = ["name": "app", "env": [["name": "V", "valueFrom": source]]]
            await #expect(throws: EnvironmentError(message)) { try await resolve(container, client: client) }
        }
        let envFrom: JSONValue = ["name": "app", "envFrom": [["secretRef": ["name": "gone"]]]]
        await #expect(throws: EnvironmentError("secret \"gone\" not found")) { try await resolve(envFrom, client: client) }
    }

    @Test func fieldRefsSeeMetadataNodeAndIPs() async throws {
        let paths = ["metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels['tier']",
                     "metadata.annotations['note']", "metadata.labels", "metadata.annotations", "spec.nodeName",
                     "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"]
        let container: JSONValue = ["name": "app", "env": .array(paths.enumerated().map { index, path in
            ["name": .string("F\(index)"), "valueFrom": ["fieldRef": ["fieldPath": .string(path)]]]
        })]
        let env = try await resolve(container, client: try fake())
        #expect(env["F0"] == "web")
        #expect(env["F1"] == "shop")
        #expect(env["F2"] == "uid-1")
        #expect(env["F3"] == "front")
        #expect(env["F4"] == "say \"hi\"\n")
        #expect(env["F5"] == "app=\"web\"\ntier=\"front\"")
        #expect(env["F6"] == "note=\"say \\\"hi\\\"\\n\"")
        #expect(env["F7"] == "node-a")
        #expect(env["F8"] == "robot")
        #expect(env["F9"] == "192.168.1.10")
        #expect(env["F10"] == "192.168.1.10")
        #expect(env["F11"] == "10.88.0.5")
        #expect(env["F12"] == "10.88.0.5")
    }

    @Test func resourceFieldRefsDivideRoundUpAndDefaultLimitsToAllocatable() async throws {
        let container: JSONValue = ["name": "app",
            "resources": ["requests": ["cpu": "250m", "memory": "64Mi"], "limits": ["memory": "128Mi"]],
            "env": [
                ["name": "REQ_CPU", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu"]]],
                ["name": "REQ_CPU_M", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu", "divisor": "1m"]]],
                ["name": "LIM_MEM_MI", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                ["name": "LIM_MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory"]]],
                ["name": "LIM_CPU", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu"]]],
                ["name": "LIM_EPH_GI", "valueFrom": ["resourceFieldRef": ["resource": "limits.ephemeral-storage", "divisor": "1Gi"]]],
                ["name": "REQ_MEM_G", "valueFrom": ["resourceFieldRef": ["resource": "requests.memory", "divisor": "1G"]]],
            ]]
        let env = try await resolve(container, client: try fake())
        #expect(env["REQ_CPU"] == "1")
        #expect(env["REQ_CPU_M"] == "250")
        #expect(env["LIM_MEM_MI"] == "128")
        #expect(env["LIM_MEM"] == "134217728")
        #expect(env["LIM_CPU"] == "4")
        #expect(env["LIM_EPH_GI"] == "100")
        #expect(env["REQ_MEM_G"] == "1")
    }
}
