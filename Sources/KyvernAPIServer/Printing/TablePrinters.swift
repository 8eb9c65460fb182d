import KyvernAPI

/// Which printer fills the cells of each resource's rows. Printers are per kind: a resource's
/// versions share one (upstream prints from the internal form), with the column set chosen per
/// version by `TableColumns`.
enum TablePrinters {
    static func printer(group: String, resource: String) -> RowPrinter? {
        switch (group, resource) {
        case ("", "pods"): PodPrinter.row
        case ("", "podtemplates"): WorkloadPrinters.podTemplate
        case ("", "replicationcontrollers"): WorkloadPrinters.replicationController
        case ("", "services"): NetworkPrinters.service
        case ("", "endpoints"): NetworkPrinters.endpoints
        case ("", "nodes"): NodePrinter.row
        case ("", "events"): EventPrinter.core
        case ("", "namespaces"): CorePrinters.namespace
        case ("", "configmaps"): CorePrinters.configMap
        case ("", "secrets"): CorePrinters.secret
        case ("", "serviceaccounts"): CorePrinters.serviceAccount
        case ("", "componentstatuses"): CorePrinters.componentStatus
        case ("", "resourcequotas"): CorePrinters.resourceQuota
        case ("", "persistentvolumes"): StoragePrinters.persistentVolume
        case ("", "persistentvolumeclaims"): StoragePrinters.persistentVolumeClaim
        case ("apps", "deployments"): WorkloadPrinters.deployment
        case ("apps", "replicasets"): WorkloadPrinters.replicaSet
        case ("apps", "statefulsets"): WorkloadPrinters.statefulSet
        case ("apps", "daemonsets"): WorkloadPrinters.daemonSet
        case ("apps", "controllerrevisions"): WorkloadPrinters.controllerRevision
        case ("batch", "jobs"): BatchPrinters.job
        case ("batch", "cronjobs"): BatchPrinters.cronJob
        case ("autoscaling", "horizontalpodautoscalers"): AutoscalerPrinter.row
        case ("policy", "poddisruptionbudgets"): ClusterPrinters.podDisruptionBudget
        case ("events.k8s.io", "events"): EventPrinter.eventsV1
        case ("coordination.k8s.io", "leases"): ClusterPrinters.lease
        case ("scheduling.k8s.io", "priorityclasses"): ClusterPrinters.priorityClass
        case ("node.k8s.io", "runtimeclasses"): ClusterPrinters.runtimeClass
        case ("discovery.k8s.io", "endpointslices"): NetworkPrinters.endpointSlice
        case ("networking.k8s.io", "ingresses"): NetworkPrinters.ingress
        case ("networking.k8s.io", "ingressclasses"): NetworkPrinters.ingressClass
        case ("networking.k8s.io", "networkpolicies"): NetworkPrinters.networkPolicy
        case ("networking.k8s.io", "servicecidrs"): NetworkPrinters.serviceCIDR
        case ("networking.k8s.io", "ipaddresses"): NetworkPrinters.ipAddress
        case ("storage.k8s.io", "storageclasses"): StoragePrinters.storageClass
        case ("storage.k8s.io", "volumeattributesclasses"): StoragePrinters.volumeAttributesClass
        case ("storage.k8s.io", "csidrivers"): StoragePrinters.csiDriver
        case ("storage.k8s.io", "csinodes"): StoragePrinters.csiNode
        case ("storage.k8s.io", "csistoragecapacities"): StoragePrinters.csiStorageCapacity
        case ("storage.k8s.io", "volumeattachments"): StoragePrinters.volumeAttachment
        case ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
             ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): ClusterPrinters.webhookConfiguration
        case ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
             ("admissionregistration.k8s.io", "mutatingadmissionpolicies"): ClusterPrinters.admissionPolicy
        case ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
             ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"): ClusterPrinters.admissionPolicyBinding
        case ("apiregistration.k8s.io", "apiservices"): ClusterPrinters.apiService
        case ("certificates.k8s.io", "certificatesigningrequests"): ClusterPrinters.certificateSigningRequest
        case ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterrolebindings"):
            ClusterPrinters.roleBinding
        case ("flowcontrol.apiserver.k8s.io", "flowschemas"): ClusterPrinters.flowSchema
        case ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): ClusterPrinters.priorityLevelConfiguration
        case ("resource.k8s.io", "deviceclasses"), ("resource.k8s.io", "resourceclaimtemplates"): ResourcePrinters.nameAndAge
        case ("resource.k8s.io", "resourceclaims"): ResourcePrinters.resourceClaim
        case ("resource.k8s.io", "resourceslices"): ResourcePrinters.resourceSlice
        case ("certificates.k8s.io", "clustertrustbundles"): ResourcePrinters.clusterTrustBundle
        case ("coordination.k8s.io", "leasecandidates"): ResourcePrinters.leaseCandidate
        default: nil
        }
    }
}

/// Upstream's table for kinds without a printer of their own: NAME and CREATED AT.
enum DefaultTablePrinter {
    static let columns = [
        TableColumn(name: "Name", type: "string", format: "name", priority: 0),
        TableColumn(name: "Created At", type: "date", format: "", priority: 0),
    ]

    static func row(_ object: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(object.printedName), object.at("metadata", "creationTimestamp") ?? .null])
    }
}
