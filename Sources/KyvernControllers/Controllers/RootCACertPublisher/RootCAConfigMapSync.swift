import KyvernAPI
import KyvernClient

/// Keeps the ConfigMap `kube-root-ca.crt` in every active namespace holding the cluster CA
/// (upstream's root-ca-cert-publisher): the ServiceAccount token volume of every pod projects its
/// `ca.crt`, so a workload can verify the API server it reaches through `kubernetes.default.svc`.
struct RootCAConfigMapSync: Sendable {
    static let configMapName = "kube-root-ca.crt"
    static let dataKey = "ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"
    static let description = "The certificate authority bundle of this cluster's API server, for clients inside the "
        + "cluster that reach it through the kubernetes Service; published by the root-ca-cert-publisher controller."

    let caPEM: String
    /// The informers' caches: the controller reads nothing from the API, so its role needs only
    /// to create and update ConfigMaps, as upstream's.
    let namespaces: any ObjectCache
    let configMaps: any ObjectCache
    let writer: TypedClient<CoreV1.ConfigMap>

    init(client: any KubernetesClient, namespaces: any ObjectCache, configMaps: any ObjectCache, caPEM: String) {
        self.caPEM = caPEM
        self.namespaces = namespaces
        self.configMaps = configMaps
        writer = client.resource(CoreV1.ConfigMap.self)
    }

    /// Creates or corrects the ConfigMap in `namespace` unless the namespace is gone or terminating.
    func sync(namespace name: String) async throws {
        guard let namespace = await namespaces.get(namespace: nil, name: name),
              namespace[path: ["metadata", "deletionTimestamp"]] == nil,
              (namespace[path: ["status", "phase"]]?.stringValue ?? "Active") == "Active" else { return }
        let wanted = [Self.dataKey: caPEM]
        guard let cached = await configMaps.get(namespace: name, name: Self.configMapName) else {
            let configMap = CoreV1.ConfigMap(
                metadata: MetaV1.ObjectMeta(annotations: [Self.descriptionAnnotation: Self.description],
                                            name: Self.configMapName, namespace: name),
                data: wanted)
            do {
                _ = try await writer.create(configMap)
            } catch let error as APIError where error.code == 409 || error.reason == "Forbidden" {
                // Created meanwhile (its event corrects it if it differs), or the namespace started terminating.
            }
            return
        }
        let existing = try CoreV1.ConfigMap(json: cached)
        let described = !(existing.metadata.annotations?[Self.descriptionAnnotation] ?? "").isEmpty
        guard existing.data != wanted || existing.binaryData != nil || !described else { return }
        var corrected = existing
        corrected.data = wanted
        corrected.binaryData = nil
        if !described {
            corrected.metadata.annotations = (existing.metadata.annotations ?? [:])
                .merging([Self.descriptionAnnotation: Self.description]) { _, new in new }
        }
        do {
            _ = try await writer.update(corrected)
        } catch let error as APIError where error.code == 409 || error.code == 404 {
            // Changed or deleted meanwhile: its event queues the namespace again.
        }
    }
}
