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

extension PluginRegistry {
    /// The in-tree plugins plus those that need the client (the binder, VolumeBinding), so are
    /// registered by whoever runs the scheduler. VolumeBinding waits on `storage`, which the
    /// scheduler built from the same registry must feed (``Scheduler/init(client:configuration:registry:logger:storage:)``).
    package static func running(client: any KubernetesClient, storage: StorageUpdates? = nil) -> PluginRegistry {
        var registry = PluginRegistry.inTree
        registry.register("VolumeBinding", args: VolumeBindingArgs.self) { args in
            VolumeBinding(client: client, bindTimeout: .seconds(args.bindTimeoutSeconds), pollInterval: .seconds(1),
                          updates: storage)
        }
        registry.register("DefaultBinder") { DefaultBinder(client: client) }
        return registry
    }
}
