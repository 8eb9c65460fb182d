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

    /// Every object the server holds of a typed kind decodes, and encodes back to the server's JSON
    /// (explicit `null`s aside: the models read them as absent and omit them).
    @Test func everyStoredObjectOfATypedKindRoundTrips() async throws {
        let client = try makeClient()
        let name = "typed-rt-\(UInt32.random(in: 0...UInt32.max))"
        let labels = ["app": name]
        let deployments = client.resource(AppsV1.Deployment.self)
        do {
            _ = try await deployments.create(AppsV1.Deployment(
                metadata: MetaV1.ObjectMeta(labels: labels, name: name, namespace: "default"),
                spec: AppsV1.DeploymentSpec(
                    replicas: 1, selector: MetaV1.LabelSelector(matchLabels: labels),
                    template: CoreV1.PodTemplateSpec(metadata: MetaV1.ObjectMeta(labels: labels), spec: CoreV1.PodSpec(
                        containers: [CoreV1.Container(image: "nginx:1.27", name: "web")])))))
            // Give a controller manager (when there is one) a moment to add a ReplicaSet, a pod and events.
            try await Task.sleep(for: .seconds(2))
            var counts: [String: Int] = [:]
            func check<Kind: KubernetesObject>(_ kind: Kind.Type) async throws {
                let list = try await client.list(Kind.resource, namespace: nil, options: ListOptions())
                for item in list["items"]?.arrayValue ?? [] {
                    let expected = Self.strippingNulls(item)
                    let typed = try Kind(json: item)
                    #expect(typed.json == expected, "\(Kind.self) \(item[path: ["metadata", "name"]]?.stringValue ?? "")")
                    counts["\(Kind.self)", default: 0] += 1
                }
            }
            try await check(CoreV1.Namespace.self)
            try await check(CoreV1.Node.self)
            try await check(CoreV1.Pod.self)
            try await check(CoreV1.Service.self)
            try await check(CoreV1.ServiceAccount.self)
            try await check(CoreV1.Event.self)
            try await check(CoreV1.ConfigMap.self)
            try await check(CoreV1.Secret.self)
            try await check(CoreV1.Endpoints.self)
            try await check(AppsV1.Deployment.self)
            try await check(AppsV1.ReplicaSet.self)
            try await check(AppsV1.StatefulSet.self)
            try await check(AppsV1.DaemonSet.self)
            try await check(CoordinationV1.Lease.self)
            try await check(EventsV1.Event.self)
            try await check(PolicyV1.PodDisruptionBudget.self)
            #expect(counts["Namespace", default: 0] >= 3)
            #expect(counts["Deployment", default: 0] >= 1)
        } catch {
            _ = try? await deployments.delete(namespace: "default", name: name)
            try? await client.shutdown()
            throw error
        }
        try await deployments.delete(namespace: "default", name: name)
        try await client.shutdown()
    }

    static func strippingNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.filter { !$0.value.isNull }.mapValues(strippingNulls))
        case .array(let items): .array(items.map(strippingNulls))
        default: value
        }
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
