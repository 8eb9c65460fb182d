/// The annotations and finalizers through which the storage components (API server admission,
/// volume binder, scheduler, provisioner, node agent) coordinate, with upstream's names so
/// tools that know Kubernetes read them.
public enum StorageAnnotations {
    /// On a claim: the node the scheduler chose for a WaitForFirstConsumer claim.
    public static let selectedNode = "volume.kubernetes.io/selected-node"
    /// On a claim: the provisioner expected to create its volume (and the beta spelling).
    public static let storageProvisioner = "volume.kubernetes.io/storage-provisioner"
    public static let betaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
    /// On a volume: the provisioner that created it, and so must delete it.
    public static let provisionedBy = "pv.kubernetes.io/provisioned-by"
    /// On claim and volume: the binder finished binding them ("yes").
    public static let bindCompleted = "pv.kubernetes.io/bind-completed"
    /// On claim and volume: the binder (not the user) chose the other side ("yes").
    public static let boundByController = "pv.kubernetes.io/bound-by-controller"
    /// The storage class's old annotation, still read before `storageClassName`.
    public static let betaStorageClass = "volume.beta.kubernetes.io/storage-class"
    /// On a StorageClass: the class that claims without one get.
    public static let isDefaultClass = "storageclass.kubernetes.io/is-default-class"
    public static let betaIsDefaultClass = "storageclass.beta.kubernetes.io/is-default-class"
    /// Finalizers keeping a claim while a pod uses it, and a volume while it is bound.
    public static let claimProtection = "kubernetes.io/pvc-protection"
    public static let volumeProtection = "kubernetes.io/pv-protection"
}
