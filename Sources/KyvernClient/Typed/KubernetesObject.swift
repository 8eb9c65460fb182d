public import KyvernAPI

/// A typed model of a kind served as a resource of its own (the generated `CoreV1.Pod`,
/// `AppsV1.Deployment`, `CoordinationV1.Lease`, ...), so ``TypedClient`` knows where it lives.
///
/// The conformances are generated with the models (`Typed/Generated/KubernetesObject+Kinds.swift`)
/// from the specification's paths; a kind reached only as a subresource (`Eviction`) has none.
public protocol KubernetesObject: JSONRepresentable, Equatable {
    /// The collection objects of this kind are read and written through.
    static var resource: ResourceRef { get }
    var metadata: MetaV1.ObjectMeta { get set }
}
