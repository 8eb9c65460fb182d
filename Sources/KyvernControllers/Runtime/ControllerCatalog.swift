/// Every controller `kyvern controller-manager` knows, in start order.
public enum ControllerCatalog {
    public static var all: [ControllerDefinition] {
        [
            ReplicaSetController.definition,
            DeploymentController.definition,
            NamespaceController.definition,
            ServiceAccountsController.definition,
            RootCACertPublisher.definition,
            GarbageCollector.definition,
            EndpointsController.definition,
            EndpointSliceController.definition,
            EndpointSliceMirroringController.definition,
            ServiceLoadBalancerController.definition,
            NodeIPAMController.definition,
            DaemonSetController.definition,
            JobController.definition,
            TTLAfterFinishedController.definition,
            CronJobController.definition,
            NodeLifecycleController.definition,
            TaintEvictionController.definition,
            DisruptionController.definition,
            StatefulSetController.definition,
            HorizontalPodAutoscalerController.definition,
            PersistentVolumeController.definition,
            ClaimProtectionController.definition,
            VolumeProtectionController.definition,
            ClusterRoleAggregationController.definition,
            ResourceQuotaController.definition,
            CertificateApprovingController.definition,
        ]
    }
}
