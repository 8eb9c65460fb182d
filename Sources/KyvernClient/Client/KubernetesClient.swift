public import KyvernAPI

/// Every verb the components use, so controllers, the scheduler and the node agent can run against
/// the HTTP ``APIClient`` in production and an in-memory fake in unit tests.
///
/// A `nil` namespace means the resource is cluster-scoped, or (list and watch) all namespaces.
/// Failures throw `APIError` with the server's reason; a watch from a too-old resourceVersion
/// throws ``WatchError/expired(_:)``.
public protocol KubernetesClient: Sendable {
    /// One object.
    func get(_ ref: ResourceRef, namespace: String?, name: String) async throws -> JSONValue
    /// One page of a list (the `*List` object); `metadata.continue` names the next page.
    func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> JSONValue
    /// Events after `options.resourceVersion`; the request is sent before this returns, so a refused
    /// watch throws here. Cancelling the consuming task, or releasing the stream, ends the watch
    /// and frees its connection.
    func watch(_ ref: ResourceRef, namespace: String?,
               options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error>
    func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                options: WriteOptions) async throws -> JSONValue
    /// PUT of the whole object; `metadata.resourceVersion` (when set) must still be current.
    func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                options: WriteOptions) async throws -> JSONValue
    /// PUT of the `status` subresource: only `status` changes, whatever else `object` holds.
    func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                      options: WriteOptions) async throws -> JSONValue
    /// A patch of `type`; for `.apply`, `options.fieldManager` must be set.
    func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?, type: PatchType,
               _ patch: JSONValue, options: WriteOptions) async throws -> JSONValue
    /// Returns the deleted object, the object still terminating (finalizers), or a success `Status`.
    @discardableResult
    func delete(_ ref: ResourceRef, namespace: String?, name: String,
                options: DeleteOptions) async throws -> JSONValue
    /// POST to a subresource that is not the object itself: `pods/binding`, `pods/eviction`.
    @discardableResult
    func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                           _ body: JSONValue) async throws -> JSONValue
    /// PUT to a subresource other than `status`: `namespaces/finalize`, `deployments/scale`.
    /// Has a default (405) so conformers written before it still compile.
    func updateSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                           _ body: JSONValue, options: WriteOptions) async throws -> JSONValue
    /// GET of a path that names no resource, e.g. the discovery documents `/api`, `/apis` and
    /// `/apis/<group>/<version>`. Has a default (404) so conformers written before it still compile.
    func getPath(_ path: String) async throws -> JSONValue
}

extension KubernetesClient {
    public func updateSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                                  _ body: JSONValue, options: WriteOptions) async throws -> JSONValue {
        throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
    }

    public func getPath(_ path: String) async throws -> JSONValue {
        throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }
}

// Defaulted arguments. Each overload leaves out a different argument label, so none of them has the
// signature of a requirement (which would silently turn it into a default implementation).
extension KubernetesClient {
    /// A cluster-scoped object.
    public func get(_ ref: ResourceRef, name: String) async throws -> JSONValue {
        try await get(ref, namespace: nil, name: name)
    }

    /// One page of everything in `namespace` (or all namespaces, or a cluster-scoped resource).
    public func list(_ ref: ResourceRef, namespace: String? = nil) async throws -> JSONValue {
        try await list(ref, namespace: namespace, options: ListOptions())
    }

    /// A list across all namespaces (or of a cluster-scoped resource) with options.
    public func list(_ ref: ResourceRef, options: ListOptions) async throws -> JSONValue {
        try await list(ref, namespace: nil, options: options)
    }

    /// A watch across all namespaces (or of a cluster-scoped resource).
    public func watch(_ ref: ResourceRef, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await watch(ref, namespace: nil, options: options)
    }

    /// Creates `object` with default options.
    public func create(_ ref: ResourceRef, namespace: String? = nil, _ object: JSONValue) async throws -> JSONValue {
        try await create(ref, namespace: namespace, object, options: WriteOptions())
    }

    /// Creates a cluster-scoped object with options.
    public func create(_ ref: ResourceRef, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try await create(ref, namespace: nil, object, options: options)
    }

    /// Replaces `object` with default options.
    public func update(_ ref: ResourceRef, namespace: String? = nil, _ object: JSONValue) async throws -> JSONValue {
        try await update(ref, namespace: namespace, object, options: WriteOptions())
    }

    /// Replaces a cluster-scoped object with options.
    public func update(_ ref: ResourceRef, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try await update(ref, namespace: nil, object, options: options)
    }

    /// Replaces the status of `object` with default options.
    public func updateStatus(_ ref: ResourceRef, namespace: String? = nil, _ object: JSONValue) async throws -> JSONValue {
        try await updateStatus(ref, namespace: namespace, object, options: WriteOptions())
    }

    /// Replaces the status of a cluster-scoped object with options.
    public func updateStatus(_ ref: ResourceRef, _ object: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try await updateStatus(ref, namespace: nil, object, options: options)
    }

    /// A patch of the object itself.
    public func patch(_ ref: ResourceRef, namespace: String? = nil, name: String, type: PatchType, _ patch: JSONValue,
                      options: WriteOptions = WriteOptions()) async throws -> JSONValue {
        try await self.patch(ref, namespace: namespace, name: name, subresource: nil, type: type, patch, options: options)
    }

    /// A patch of a subresource (e.g. "status") with default options.
    public func patch(_ ref: ResourceRef, namespace: String? = nil, name: String, subresource: String?,
                      type: PatchType, _ patch: JSONValue) async throws -> JSONValue {
        try await self.patch(ref, namespace: namespace, name: name, subresource: subresource, type: type, patch,
                             options: WriteOptions())
    }

    /// A patch of a cluster-scoped object's subresource with options.
    public func patch(_ ref: ResourceRef, name: String, subresource: String?, type: PatchType, _ patch: JSONValue,
                      options: WriteOptions) async throws -> JSONValue {
        try await self.patch(ref, namespace: nil, name: name, subresource: subresource, type: type, patch,
                             options: options)
    }

    /// Deletes with default options (background propagation, the object's grace period).
    @discardableResult
    public func delete(_ ref: ResourceRef, namespace: String? = nil, name: String) async throws -> JSONValue {
        try await delete(ref, namespace: namespace, name: name, options: DeleteOptions())
    }

    /// Deletes a cluster-scoped object with options.
    @discardableResult
    public func delete(_ ref: ResourceRef, name: String, options: DeleteOptions) async throws -> JSONValue {
        try await delete(ref, namespace: nil, name: name, options: options)
    }

    /// POST to a subresource of a cluster-scoped object.
    @discardableResult
    public func createSubresource(_ ref: ResourceRef, name: String, subresource: String,
                                  _ body: JSONValue) async throws -> JSONValue {
        try await createSubresource(ref, namespace: nil, name: name, subresource: subresource, body)
    }

    /// Binds a pod to a node through `pods/binding` (the scheduler's only write). With `uid`, the
    /// server refuses the binding if the pod was meanwhile replaced by another of the same name.
    @discardableResult
    public func bind(namespace: String, pod: String, uid: String? = nil, node: String) async throws -> JSONValue {
        try await createSubresource(.pods, namespace: namespace, name: pod, subresource: "binding",
                                    Self.binding(namespace: namespace, pod: pod, uid: uid, node: node))
    }
}

extension KubernetesClient {
    /// The `Binding` object `pods/binding` takes.
    static func binding(namespace: String, pod: String, uid: String?, node: String) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(pod), "namespace": .string(namespace)]
        if let uid { metadata["uid"] = .string(uid) }
        return [
            "kind": "Binding", "apiVersion": "v1", "metadata": .object(metadata),
            "target": ["kind": "Node", "apiVersion": "v1", "name": .string(node)],
        ]
    }
}
