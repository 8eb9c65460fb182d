package import KyvernAPI

/// A pod as network policies see it: where it lives, its labels, its IPv4 address and the
/// named ports its containers declare (named ports in a policy resolve against these).
package struct PolicyPod: Sendable, Hashable {
    package var namespace: String
    package var name: String
    package var labels: [String: String]
    package var ip: String
    package var nodeName: String
    /// `name/PROTOCOL` → containerPort, e.g. `"db/TCP": 5432`.
    package var namedPorts: [String: Int]

    package init(namespace: String, name: String, labels: [String: String] = [:], ip: String, nodeName: String,
                 namedPorts: [String: Int] = [:]) {
        (self.namespace, self.name, self.labels, self.ip) = (namespace, name, labels, ip)
        (self.nodeName, self.namedPorts) = (nodeName, namedPorts)
    }

    /// The pod of an informer's cache, or nil when no policy can apply to it: no IPv4 address
    /// yet, the node's own network (upstream leaves host-network pods to the node), or finished
    /// (its address may already belong to another pod).
    package init?(json pod: JSONValue) {
        guard let namespace = pod.namespace, let name = pod.name,
              pod[path: ["spec", "hostNetwork"]]?.boolValue != true else { return nil }
        let phase = pod[path: ["status", "phase"]]?.stringValue
        guard phase != "Succeeded", phase != "Failed" else { return nil }
        let listed = (pod[path: ["status", "podIPs"]]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        let candidates = listed + [pod[path: ["status", "podIP"]]?.stringValue].compactMap { $0 }
        guard let ip = candidates.first(where: { IPv4Network.parseAddress($0) != nil }) else { return nil }
        var ports: [String: Int] = [:]
        for container in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                guard let portName = port["name"]?.stringValue, !portName.isEmpty,
                      let number = port["containerPort"]?.intValue else { continue }
                let proto = port["protocol"]?.stringValue ?? "TCP"
                ports[portName + "/" + proto] = ports[portName + "/" + proto] ?? Int(number)
            }
        }
        self.init(namespace: namespace, name: name, labels: pod.labels, ip: ip,
                  nodeName: pod[path: ["spec", "nodeName"]]?.stringValue ?? "", namedPorts: ports)
    }

    /// The container port `name` with `proto` ("TCP", "UDP", "SCTP"), if the pod declares it.
    package func port(named name: String, proto: String) -> Int? {
        namedPorts[name + "/" + proto]
    }
}

/// A namespace's labels, as a namespaceSelector sees them.
package struct PolicyNamespace: Sendable, Hashable {
    /// Set on every namespace upstream; namespaceSelectors by name rely on it.
    package static let nameLabel = "kubernetes.io/metadata.name"

    package var name: String
    package var labels: [String: String]

    package init(name: String, labels: [String: String] = [:]) {
        self.name = name
        var labels = labels
        labels[Self.nameLabel] = labels[Self.nameLabel] ?? name
        self.labels = labels
    }

    package init?(json namespace: JSONValue) {
        guard let name = namespace.name else { return nil }
        self.init(name: name, labels: namespace.labels)
    }
}
