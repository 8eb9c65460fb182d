import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
@testable import KyvernControllers

/// Services, pods with addresses and nodes as the API stores them, for the Endpoints,
/// EndpointSlice and node IPAM tests.
enum EndpointFixtures {
    static func service(_ name: String = "web", namespace: String = "default", selector: [String: String]? = ["app": "web"],
                        ports: [JSONValue] = [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080]],
                        clusterIP: String = "10.43.0.20", publishNotReady: Bool = false,
                        labels: [String: String] = [:], type: String = "ClusterIP") -> JSONValue {
        var spec: [String: JSONValue] = ["ports": .array(ports), "clusterIP": .string(clusterIP), "type": .string(type)]
        if let selector { spec["selector"] = .object(selector.mapValues(JSONValue.string)) }
        if publishNotReady { spec["publishNotReadyAddresses"] = true }
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues(JSONValue.string)) }
        return ["apiVersion": "v1", "kind": "Service", "metadata": .object(metadata), "spec": .object(spec)]
    }

    /// A pod on `node` with address `ip` (none for nil), Ready or not, optionally terminating.
    static func pod(_ name: String, ip: String?, ready: Bool = true, node: String = "node-a",
                    labels: [String: String] = ["app": "web"], deleting: Bool = false, phase: String = "Running",
                    containerPorts: [JSONValue] = [], hostname: String? = nil, subdomain: String? = nil,
                    readySince: String = "2026-01-01T00:00:00Z") -> JSONValue {
        var pod = Pods.pod(name, labels: labels, node: node, phase: phase, ready: ready, readySince: readySince,
                           deleting: deleting)
        pod.setMetadata("uid", nil)
        if let ip {
            pod[path: ["status", "podIP"]] = .string(ip)
            pod[path: ["status", "podIPs"]] = [["ip": .string(ip)]]
        }
        if !containerPorts.isEmpty {
            pod[path: ["spec", "containers"]] = [["name": "c", "image": "nginx", "ports": .array(containerPorts)]]
        }
        if let hostname { pod[path: ["spec", "hostname"]] = .string(hostname) }
        if let subdomain { pod[path: ["spec", "subdomain"]] = .string(subdomain) }
        return pod
    }

    static func node(_ name: String, zone: String? = nil, podCIDR: String? = nil) -> JSONValue {
        var node: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)], "spec": [:]]
        if let zone { node[path: ["metadata", "labels"]] = ["topology.kubernetes.io/zone": .string(zone)] }
        if let podCIDR {
            node[path: ["spec", "podCIDR"]] = .string(podCIDR)
            node[path: ["spec", "podCIDRs"]] = [.string(podCIDR)]
        }
        return node
    }

    static func writes(_ client: FakeClient, _ verb: String, _ resource: String) -> [FakeClient.Action] {
        client.writes.filter { $0.verb == verb && $0.resource == resource }
    }
}

extension FakeClient {
    /// Seeds `pods`; those built with `deleting` are then deleted gracefully, so they stay,
    /// terminating, as on a node that has not stopped them yet (a create drops deletionTimestamp).
    func seedPods(_ pods: JSONValue...) async throws {
        for pod in pods {
            try seed(.pods, pod)
            if pod.deletionTimestamp != nil { try await delete(.pods, namespace: pod.namespace, name: pod.name!) }
        }
    }

    /// An EndpointSlice controller whose caches hold exactly what this fake stores now.
    func sliceController() -> EndpointSliceController {
        EndpointSliceController(
            client: self, services: StaticCache(objects: objects(.services)), pods: StaticCache(objects: objects(.pods)),
            slices: StaticCache(objects: objects(.endpointSlices)), nodes: StaticCache(objects: objects(.nodes)),
            queue: nil, logger: Logger(label: "test"))
    }

    /// An Endpoints controller whose caches hold exactly what this fake stores now.
    func endpointsController() -> EndpointsController {
        EndpointsController(
            client: self, services: StaticCache(objects: objects(.services)), pods: StaticCache(objects: objects(.pods)),
            endpoints: StaticCache(objects: objects(EndpointsController.resource)), queue: nil, logger: Logger(label: "test"))
    }

    /// The slices of Service `name` the controller manages, by name.
    func managedSlices(of name: String, namespace: String = "default") -> [JSONValue] {
        objects(.endpointSlices, namespace: namespace).filter {
            $0.labels["kubernetes.io/service-name"] == name
                && $0.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
        }
    }
}
