import KyvernAPI

/// Upstream's ServiceAccount admission step for new pods: the account a pod names must exist, and
/// the pod gets its token volume (see ``ServiceAccountAdmission``).
extension ResourceHandler {
    func admitServiceAccount(_ pod: inout JSONValue, info: ResourceInfo) async throws {
        guard info.group.isEmpty, info.resource == "pods", !ServiceAccountAdmission.isMirrorPod(pod) else { return }
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        let accountName = pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? "default"
        guard let account = await serviceAccount(namespace: namespace, name: accountName) else {
            throw ForbiddenError.forbidden(group: "", resource: "pods", name: pod[path: ["metadata", "name"]]?.stringValue ?? "",
                                           "error looking up service account \(namespace)/\(accountName): "
                                               + "serviceaccount \"\(accountName)\" not found")
        }
        ServiceAccountAdmission.admit(&pod, account: account,
                                      volumeSuffix: String(NameGenerator.generate(prefix: "").suffix(5)),
                                      mountToken: mountsServiceAccountTokenVolume)
    }

    /// The account from the watch cache; one missing is looked for again once the cache has caught
    /// up with the store, and `default` (which the serviceaccount controller creates moments after a
    /// namespace) for up to about two seconds, as upstream retries it.
    private func serviceAccount(namespace: String, name: String) async -> JSONValue? {
        guard let accounts = ResourceCatalog.find(group: "", version: "v1", resource: "serviceaccounts") else { return nil }
        let key = StorageKeys.key(accounts, namespace: namespace, name: name)
        if let found = await cache.get(key: key)?.object { return found }
        let attempts = name == "default" ? 10 : 1
        for attempt in 0..<attempts {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(Int.random(in: 100...200))) }
            guard (try? await storage.syncCache()) != nil else { continue }
            if let found = await cache.get(key: key)?.object { return found }
        }
        return nil
    }
}
