public import KyvernAPI

/// One page of a list, typed: the `*List` object's `metadata` and `items`.
public struct TypedList<Object: KubernetesObject>: Sendable, Equatable {
    /// `resourceVersion` (where a watch can start) and `continue` (the next page's token).
    public var metadata: MetaV1.ListMeta
    public var items: [Object]

    public init(metadata: MetaV1.ListMeta = .init(), items: [Object] = []) {
        self.metadata = metadata
        self.items = items
    }

    /// Reads a `*List` object; items lacking `apiVersion`/`kind` (as upstream sends them) keep lacking them.
    public init(json: JSONValue) throws {
        let fields = try JSONFields(json, type: "\(Object.self)List")
        metadata = try fields.optional("metadata") ?? .init()
        items = try fields.optional("items") ?? []
    }

    /// The list's resourceVersion: a watch from it sees every later change.
    public var resourceVersion: String? { metadata.resourceVersion }

    /// The token of the next page, nil on the last one.
    public var continueToken: String? {
        guard let token = metadata.continue, !token.isEmpty else { return nil }
        return token
    }
}
