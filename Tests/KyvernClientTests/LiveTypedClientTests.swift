import Foundation
import KyvernAPI
import Testing
@testable import KyvernClient

/// The typed client against a running server named by `KYVERN_CLIENT_TEST_KUBECONFIG` (skipped when
/// unset): what the server returns decodes, and a typed object written comes back as the server
/// defaulted it.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KYVERN_CLIENT_TEST_KUBECONFIG"] != nil))
struct LiveTypedClientTests {
    func makeClient() throws -> APIClient {
        let path = ProcessInfo.processInfo.environment["KYVERN_CLIENT_TEST_KUBECONFIG"] ?? ""
        return try APIClient(configuration: Kubeconfig.load(path: path).configuration(userAgent: "kyvern-client-tests"))
    }

    @Test func typedVerbsAgainstARealServer() async throws {
        let client = try makeClient()
        do {
            try await exercise(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func exercise(_ client: APIClient) async throws {
        let name = "typed-test-\(UInt32.random(in: 0...UInt32.max))"
        let pods = client.resource(CoreV1.Pod.self)
        let start = try await pods.list(namespace: "default", options: ListOptions(labelSelector: "test=\(name)"))
        #expect(start.items.isEmpty)
        let events = try await pods.watch(namespace: "default", options: ListOptions(
            labelSelector: "test=\(name)", resourceVersion: start.resourceVersion, timeoutSeconds: 30))

        let pod = CoreV1.Pod(
            metadata: MetaV1.ObjectMeta(labels: ["test": name], name: name, namespace: "default"),
            spec: CoreV1.PodSpec(containers: [CoreV1.Container(
                image: "nginx:1.27", name: "web",
                ports: [CoreV1.ContainerPort(containerPort: 80, name: "http")],
                resources: CoreV1.ResourceRequirements(requests: ["cpu": Quantity(milli: 100)]))],
                nodeName: "no-such-node"))
        let created = try await pods.create(pod)
        // Server defaults arrive typed, and the server's JSON is exactly the typed object's.
        #expect(created.spec?.restartPolicy == "Always")
        #expect(created.spec?.containers.first?.ports?.first?.`protocol` == "TCP")
        #expect(created.spec?.containers.first?.resources?.requests?["cpu"] == Quantity(milli: 100))
        let raw = try await client.get(.pods, namespace: "default", name: name)
        #expect(try CoreV1.Pod(json: raw).json == raw)

        let patched = try await pods.patch(namespace: "default", name: name, type: .merge,
                                           ["metadata": ["annotations": ["step": "patched"]]])
        #expect(patched.metadata.annotations?["step"] == "patched")
        var toUpdate = patched
        toUpdate.metadata.annotations?["step"] = "updated"
        let updated = try await pods.update(toUpdate)
        #expect(updated.metadata.annotations?["step"] == "updated")

        do {
            _ = try await pods.update(toUpdate)  // stale resourceVersion
            Issue.record("expected a conflict")
        } catch let error as APIError {
            #expect(error.code == 409 && error.reason == "Conflict")
        }

        try await pods.delete(namespace: "default", name: name, options: DeleteOptions(gracePeriodSeconds: 0))
        var seen: [String] = []
        for try await event in events {
            switch event {
            case .added(let p): seen.append("added \(p.metadata.name ?? "")")
            case .modified: if seen.last != "modified" { seen.append("modified") }
            case .deleted(let p): seen.append("deleted \(p.metadata.name ?? "")")
            case .bookmark, .error: break
            }
            if seen.last?.hasPrefix("deleted") == true { break }
        }
        #expect(seen == ["added \(name)", "modified", "deleted \(name)"])

        let leases = client.resource(CoordinationV1.Lease.self)
        let namespaces = try await client.resource(CoreV1.Namespace.self).list()
        #expect(namespaces.items.contains { $0.metadata.name == "kube-system" })
        _ = try await leases.list(namespace: "kube-system")
    }
}
