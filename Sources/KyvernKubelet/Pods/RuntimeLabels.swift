/// Labels the agent puts on sandboxes and containers, the same keys upstream's kubelet uses, so a
/// restarted agent finds what it started (adoption) by pod uid and container name alone.
enum RuntimeLabels {
    static let podUID = "io.kubernetes.pod.uid"
    static let podName = "io.kubernetes.pod.name"
    static let podNamespace = "io.kubernetes.pod.namespace"
    static let containerName = "io.kubernetes.container.name"
    /// Annotation recording the grace period to use when the agent stops the container.
    static let terminationGracePeriod = "io.kubernetes.pod.terminationGracePeriod"
}
