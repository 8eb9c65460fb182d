public import KyvernAPI
import Logging

/// An informer's cache read as `Object`s.
///
/// Decoding happens on each read (the cache keeps the JSON the watch delivered, shared by every
/// reader); an object that does not decode throws ``ModelDecodingError``.
public struct TypedLister<Object: KubernetesObject>: Sendable {
    public let lister: Lister

    public init(_ lister: Lister) {
        self.lister = lister
    }

    /// One object; `namespace` is ignored for cluster-scoped resources.
    public func get(namespace: String? = nil, name: String) async throws -> Object? {
        try await lister.get(namespace: namespace, name: name).map { try Object(json: $0) }
    }

    /// Every cached object, or one namespace's.
    public func list(namespace: String? = nil) async throws -> [Object] {
        try await lister.list(namespace: namespace).map { try Object(json: $0) }
    }

    /// The objects an indexer mapped to `value`.
    public func byIndex(_ indexName: String, _ value: String) async throws -> [Object] {
        try await lister.byIndex(indexName, value).map { try Object(json: $0) }
    }
}

/// What a typed informer handler is told (see ``InformerEvent``).
public enum TypedInformerEvent<Object: KubernetesObject>: Sendable, Equatable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)

    public init(_ event: InformerEvent) throws {
        switch event {
        case .added(let o): self = .added(try Object(json: o))
        case .updated(let old, let new): self = .updated(old: try Object(json: old), new: try Object(json: new))
        case .deleted(let o): self = .deleted(try Object(json: o))
        }
    }

    /// The object as it is now (the last state for `deleted`).
    public var object: Object {
        switch self {
        case .added(let o), .deleted(let o): o
        case .updated(_, let new): new
        }
    }
}

extension Informer {
    /// The cache read as `Object`s; `Object.resource` should be this informer's resource.
    public func lister<Object: KubernetesObject>(of type: Object.Type) -> TypedLister<Object> {
        TypedLister(lister)
    }

    /// Adds a handler that receives `Object`s. An event whose object does not decode is logged as an
    /// error and not delivered (the handler could not act on it anyway).
    public func addHandler<Object: KubernetesObject>(
        for type: Object.Type, _ handler: @escaping @Sendable (TypedInformerEvent<Object>) async -> Void
    ) async {
        let logger = logger
        await addHandler { event in
            do {
                await handler(try TypedInformerEvent<Object>(event))
            } catch {
                logger.error("informer event does not decode as \(Object.self); skipped", metadata: [
                    "error": "\(error)",
                    "name": "\(event.object[path: ["metadata", "name"]]?.stringValue ?? "")",
                ])
            }
        }
    }
}
