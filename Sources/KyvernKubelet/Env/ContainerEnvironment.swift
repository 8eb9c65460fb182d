public import KyvernAPI
public import KyvernClient
public import KyvernRuntime

/// A container's environment as upstream's kubelet builds it: `envFrom` sources first (each
/// ConfigMap or Secret's keys, prefixed), then `env` in declaration order, each value either
/// expanded (`$(VAR)` against what is defined so far) or taken from its `valueFrom` source.
public struct ContainerEnvironment: ContainerEnvironmentResolving {
    /// The environment and the warnings upstream records as `InvalidEnvironmentVariableNames`
    /// events (keys of an `envFrom` source skipped because they cannot be variable names).
    public struct Resolved: Sendable, Hashable {
        public var variables: [EnvVar]
        public var warnings: [String]
    }

    let reader: ConfigSourceReader
    let client: any KubernetesClient

    public init(client: any KubernetesClient) {
        self.client = client
        self.reader = ConfigSourceReader(client: client)
    }

    /// env + envFrom with configMapKeyRef/secretKeyRef/fieldRef/resourceFieldRef and `$(VAR)`
    /// expansion; throws ``EnvironmentError`` with upstream's CreateContainerConfigError messages.
    public func resolve(pod: JSONValue, container: JSONValue, nodeName: String, nodeIP: String,
                        podIP: String) async throws -> [EnvVar] {
        try await resolveReporting(pod: pod, container: container, nodeName: nodeName, nodeIP: nodeIP, podIP: podIP).variables
    }

    /// ``resolve(pod:container:nodeName:nodeIP:podIP:)`` with the skipped-key warnings.
    public func resolveReporting(pod: JSONValue, container: JSONValue, nodeName: String, nodeIP: String,
                                 podIP: String) async throws -> Resolved {
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        var sources = SourceCache(reader: reader, namespace: namespace)
        var environment = OrderedEnvironment()
        var warnings: [String] = []

        for source in container["envFrom"]?.arrayValue ?? [] {
            let prefix = source["prefix"]?.stringValue ?? ""
            let (kind, reference, label): (ConfigSourceReader.Kind, JSONValue?, String) =
                source["configMapRef"] != nil ? (.configMap, source["configMapRef"], "configMap")
                                              : (.secret, source["secretRef"], "secret")
            guard let reference else { continue }
            let name = reference["name"]?.stringValue ?? ""
            guard let data = try await sources.get(kind, name) else {
                if reference["optional"]?.boolValue == true { continue }
                throw EnvironmentError(ConfigSourceReader.notFound(kind, name))
            }
            var invalid: [String] = []
            for key in data.text.keys.sorted() {
                let variable = prefix + key
                guard OrderedEnvironment.isValidName(variable) else {
                    invalid.append(variable)
                    continue
                }
                environment.set(variable, data.text[key] ?? "")
            }
            if !invalid.isEmpty {
                warnings.append("Keys [\(invalid.joined(separator: ", "))] from the EnvFrom \(label) \(namespace)/\(name) "
                                + "were skipped since they are considered invalid environment variable names.")
            }
        }

        let runtime = PodFieldPath.RuntimeFields(nodeName: nodeName, hostIPs: nodeIP.isEmpty ? [] : [nodeIP],
                                                 podIPs: Self.podIPs(pod: pod, primary: podIP))
        var allocatable: NodeAllocatable?
        for variable in container["env"]?.arrayValue ?? [] {
            let name = variable["name"]?.stringValue ?? ""
            var value = variable["value"]?.stringValue ?? ""
            if !value.isEmpty {
                let defined = environment.values
                value = VariableExpansion.expand(value) { defined[$0] }
            } else if let from = variable["valueFrom"] {
                if let field = from["fieldRef"] {
                    do {
                        value = try PodFieldPath.envValue(field["fieldPath"]?.stringValue ?? "", pod: pod, runtime: runtime)
                    } catch { throw EnvironmentError("\(error)") }
                } else if let selector = from["resourceFieldRef"] {
                    if allocatable == nil {
                        allocatable = await NodeAllocatable.fetch(client: client, nodeName: nodeName)
                    }
                    do {
                        let containerName = selector["containerName"]?.stringValue ?? ""
                        let target = containerName.isEmpty ? container
                            : try ResourceFieldValue.container(named: containerName, in: pod)
                        value = try ResourceFieldValue.value(selector, container: target, allocatable: allocatable!)
                    } catch { throw EnvironmentError("\(error)") }
                } else if let selector = from["configMapKeyRef"] ?? from["secretKeyRef"] {
                    let kind: ConfigSourceReader.Kind = from["configMapKeyRef"] != nil ? .configMap : .secret
                    let sourceName = selector["name"]?.stringValue ?? ""
                    let key = selector["key"]?.stringValue ?? ""
                    let optional = selector["optional"]?.boolValue == true
                    guard let data = try await sources.get(kind, sourceName) else {
                        if optional { continue }
                        throw EnvironmentError(ConfigSourceReader.notFound(kind, sourceName))
                    }
                    guard let found = data.text[key] else {
                        if optional { continue }
                        let kindName = kind == .configMap ? "ConfigMap" : "Secret"
                        throw EnvironmentError("couldn't find key \(key) in \(kindName) \(namespace)/\(sourceName)")
                    }
                    value = found
                }
            }
            environment.set(name, value)
        }
        return Resolved(variables: environment.variables, warnings: warnings)
    }

    /// The pod's IPs with the sandbox's primary first (the status may not carry it yet).
    static func podIPs(pod: JSONValue, primary: String) -> [String] {
        let listed = (pod[path: ["status", "podIPs"]]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        guard !primary.isEmpty else { return listed }
        return [primary] + listed.filter { $0 != primary }
    }
}

/// Each ConfigMap and Secret read once per container, as upstream's kubelet caches them while
/// building one environment.
private struct SourceCache {
    let reader: ConfigSourceReader
    let namespace: String
    var found: [String: ConfigSourceData] = [:]

    mutating func get(_ kind: ConfigSourceReader.Kind, _ name: String) async throws -> ConfigSourceData? {
        let key = "\(kind.rawValue)/\(name)"
        if let cached = found[key] { return cached }
        do {
            let data = try await reader.read(kind, namespace: namespace, name: name)
            if let data { found[key] = data }
            return data
        } catch let error as APIError {
            throw EnvironmentError(error.message)
        }
    }
}
