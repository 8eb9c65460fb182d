/// Which chains one Service port needs, whatever the backend writes them as: both proxy modes
/// make the same decisions from the port's traffic policies and its endpoint categories, and only
/// name and spell the chains differently.
package struct ServicePortRouting: Sendable {
    /// Whether the port's cluster-wide (policy Cluster) and this-node (policy Local) chains exist.
    package let usesClusterChain: Bool
    package let usesLocalChain: Bool
    /// Whether cluster-internal and external traffic have a chain of their policy to go to.
    package let hasInternal: Bool
    package let hasExternal: Bool
    /// Whether external traffic (node ports, external IPs) gets a chain of its own.
    package let usesExternalChain: Bool
    private let internalLocal: Bool
    private let externalLocal: Bool

    package init(port: ServicePortSpec, categories: EndpointCategories) {
        usesClusterChain = port.usesClusterEndpoints && !categories.cluster.isEmpty
        usesLocalChain = port.usesLocalEndpoints && !categories.local.isEmpty
        internalLocal = port.internalPolicyLocal
        externalLocal = port.externalPolicyLocal
        hasInternal = internalLocal ? usesLocalChain : usesClusterChain
        hasExternal = externalLocal ? usesLocalChain : usesClusterChain
        usesExternalChain = port.externallyAccessible && categories.hasAny
    }

    /// The chain internal traffic goes to: the local one under `internalTrafficPolicy: Local`.
    package func internalChain<Chain>(cluster: Chain, local: Chain) -> Chain { internalLocal ? local : cluster }

    /// The chain external traffic's policy picks: the local one under `externalTrafficPolicy: Local`.
    package func externalPolicyChain<Chain>(cluster: Chain, local: Chain) -> Chain { externalLocal ? local : cluster }
}
