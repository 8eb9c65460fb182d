public import KyvernAPI

/// The verbs of ``KubernetesClient`` for one kind, with typed objects in and out.
///
/// A thin layer over any dynamic client (``APIClient``, the test fake): requests, retries and
/// errors (`APIError`, ``WatchError``) are the dynamic client's; only a response that is not an
/// `Object` adds ``ModelDecodingError``. Get one with `client.resource(CoreV1.Pod.self)`.
public struct TypedClient<Object: KubernetesObject>: Sendable {
    public let client: any KubernetesClient

    public init(_ client: any KubernetesClient) {
        self.client = client
    }

    var ref: ResourceRef { Object.resource }

    /// One object; `namespace` is ignored for cluster-scoped kinds.
    public func get(namespace: String? = nil, name: String) async throws -> Object {
        try Object(json: try await client.get(ref, namespace: scoped(namespace), name: name))
    }

    /// One page; `nil` namespace lists all namespaces.
    public func list(namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> TypedList<Object> {
        try TypedList(json: try await client.list(ref, namespace: scoped(namespace), options: options))
    }

    /// Every page (see ``KubernetesClient/listAll(_:namespace:options:)``), as one list.
    public func listAll(namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> TypedList<Object> {
        try TypedList(json: try await client.listAll(ref, namespace: scoped(namespace), options: options))
    }

    /// Events after `options.resourceVersion`, decoded.
    public func watch(namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> TypedWatchStream<Object> {
        TypedWatchStream(try await client.watch(ref, namespace: scoped(namespace), options: options))
    }

    /// Creates `object` in `namespace`, or else in its `metadata.namespace`.
    public func create(_ object: Object, namespace: String? = nil, options: WriteOptions = WriteOptions()) async throws -> Object {
        try Object(json: try await client.create(ref, namespace: target(namespace, object), object.json, options: options))
    }

    /// Replaces `object`; its `metadata.resourceVersion` (when set) must still be current.
    public func update(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try Object(json: try await client.update(ref, namespace: target(nil, object), object.json, options: options))
    }

    /// Replaces the status of `object` (the `status` subresource).
    public func updateStatus(_ object: Object, options: WriteOptions = WriteOptions()) async throws -> Object {
        try Object(json: try await client.updateStatus(ref, namespace: target(nil, object), object.json, options: options))
    }

    /// A patch of the object or of a subresource (`"status"`); the patch itself stays a JSON document,
    /// as merge and JSON patches name only what changes.
    public func patch(namespace: String? = nil, name: String, subresource: String? = nil, type: PatchType,
                      _ patch: JSONValue, options: WriteOptions = WriteOptions()) async throws -> Object {
        try Object(json: try await client.patch(ref, namespace: scoped(namespace), name: name, subresource: subresource,
                                                type: type, patch, options: options))
    }

    /// Deletes; returns the object when the server answers with it (still terminating behind
    /// finalizers, or as deleted), nil when it answers with a success `Status`.
    @discardableResult
    public func delete(namespace: String? = nil, name: String, options: DeleteOptions = DeleteOptions()) async throws -> Object? {
        let answer = try await client.delete(ref, namespace: scoped(namespace), name: name, options: options)
        if answer["kind"]?.stringValue == "Status" { return nil }
        return try Object(json: answer)
    }

    func scoped(_ namespace: String?) -> String? {
        ref.namespaced ? namespace : nil
    }

    func target(_ namespace: String?, _ object: Object) -> String? {
        ref.namespaced ? (namespace ?? object.metadata.namespace) : nil
    }
}

extension KubernetesClient {
    /// The typed client of one kind: `client.resource(CoreV1.Pod.self).get(namespace: "default", name: "web")`.
    public func resource<Object: KubernetesObject>(_ type: Object.Type) -> TypedClient<Object> {
        TypedClient(self)
    }
}
