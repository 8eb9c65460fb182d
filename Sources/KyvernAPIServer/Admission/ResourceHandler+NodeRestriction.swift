import KyvernAPI

/// Runs NodeRestriction on writes made by a node: creates and updates (with the stored object),
/// deletes, evictions and token requests. Other users pass untouched.
extension ResourceHandler {
    func admitNodeRestriction(_ request: ResourceRequest, _ operation: NodeRestriction.Operation, name: String,
                              object: JSONValue?, old: JSONValue? = nil) async throws {
        guard let node = NodeIdentity.nodeName(of: request.user) else { return }
        let attributes = NodeRestriction.Attributes(
            operation: operation, group: request.info.group, resource: request.info.resource,
            subresource: request.target.subresource ?? "", namespace: request.namespace ?? "", name: name,
            object: object, old: old)
        try await NodeRestriction(node: node, lookup: .watchCache(storage)).admit(attributes)
    }
}
