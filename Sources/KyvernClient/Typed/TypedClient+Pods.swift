public import KyvernAPI

/// The pod subresources components POST to, with their typed bodies.
extension TypedClient where Object == CoreV1.Pod {
    /// Binds the pod `binding.metadata` names to `binding.target` (`pods/binding`, the scheduler's
    /// write); with `metadata.uid` set, the server refuses a pod that was replaced meanwhile.
    public func bind(_ binding: CoreV1.Binding) async throws {
        _ = try await client.createSubresource(ref, namespace: binding.metadata.namespace,
                                               name: binding.metadata.name ?? "", subresource: "binding", binding.json)
    }

    /// Evicts the pod `eviction.metadata` names (`pods/eviction`): a delete that honours
    /// PodDisruptionBudgets, refused with 429 while one allows no disruption.
    public func evict(_ eviction: PolicyV1.Eviction) async throws {
        _ = try await client.createSubresource(ref, namespace: eviction.metadata.namespace,
                                               name: eviction.metadata.name ?? "", subresource: "eviction", eviction.json)
    }
}
