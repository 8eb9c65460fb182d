/// Every controller `kyvern controller-manager` knows, in start order.
public enum ControllerCatalog {
    public static var all: [ControllerDefinition] {
        [
            ReplicaSetController.definition,
            DeploymentController.definition,
            NamespaceController.definition,
            ServiceAccountsController.definition,
            GarbageCollector.definition,
            EndpointsController.definition,
            EndpointSliceController.definition,
            EndpointSliceMirroringController.definition,
            NodeIPAMController.definition,
            NodeLifecycleController.definition,
            TaintEvictionController.definition,
            DisruptionController.definition,
        ]
    }
}
