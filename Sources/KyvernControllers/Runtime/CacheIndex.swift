public import KyvernClient
import KyvernAPI

/// A named index of an informer's cache, with the function that computes it.
///
/// Reconcilers of owners with many dependents (a ReplicaSet among thousands of pods in one
/// namespace) look their candidates up by index instead of scanning the namespace on every sync.
/// The controller registers the index on the shared informer when it starts; a cache without it
/// (a test's fixed set of objects) answers by applying `indexer` to every object.
public struct CacheIndex: Sendable {
    public let name: String
    public let indexer: Indexer

    public init(name: String, indexer: @escaping Indexer) {
        self.name = name
        self.indexer = indexer
    }

    /// As an informer's `indexers` argument.
    static func indexers(_ indexes: [CacheIndex]) -> [String: Indexer] {
        Dictionary(indexes.map { ($0.name, $0.indexer) }, uniquingKeysWith: { first, _ in first })
    }
}

extension CacheIndex {
    /// Objects by the uid of each of their owners: an owner's dependents.
    static let ownerUID = CacheIndex(name: Indexers.ownerUIDName, indexer: Indexers.ownerUID)

    /// Pods by `spec.nodeName`: a node's pods.
    static let nodeName = CacheIndex(name: Indexers.nodeNameName, indexer: Indexers.nodeName)

    /// Objects without a controller reference, by namespace: what a controller may adopt.
    static let uncontrolledByNamespace = CacheIndex(name: "uncontrolledByNamespace") { object in
        ControllerRef(of: object) == nil ? [object.namespace ?? ""] : []
    }
}
