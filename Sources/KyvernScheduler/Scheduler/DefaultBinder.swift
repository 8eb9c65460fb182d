public import KyvernAPI
public import KyvernClient

/// Upstream's DefaultBinder: binds through the `pods/binding` subresource.
///
/// Lives beside the driver, not among the I/O-free plugins, because it is the one plugin that
/// talks to the API server.
public struct DefaultBinder: BindPlugin {
    public let name = "DefaultBinder"
    let client: any KubernetesClient

    public init(client: any KubernetesClient) {
        self.client = client
    }

    public func bind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status {
        do {
            _ = try await client.bind(namespace: pod[path: ["metadata", "namespace"]]?.stringValue ?? "default",
                                  pod: pod[path: ["metadata", "name"]]?.stringValue ?? "",
                                  uid: pod[path: ["metadata", "uid"]]?.stringValue, node: nodeName)
            return .success
        } catch {
            return Status(.error, ["\(error)"])
        }
    }
}

extension Framework {
    /// The profile with a DefaultBinder appended when none of its plugins binds, keeping the
    /// configured Score weights.
    public func withDefaultBinder(client: any KubernetesClient) -> Framework {
        guard binders.isEmpty else { return self }
        let weights = Dictionary(scorers.map { ($0.plugin.name, $0.weight) }, uniquingKeysWith: { a, _ in a })
        return Framework(plugins: plugins + [DefaultBinder(client: client)], weights: weights,
                         percentageOfNodesToScore: percentageOfNodesToScore)
    }
}
