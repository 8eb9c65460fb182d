import KyvernAPI

/// Upstream's defaults, filled in when an object is decoded for a write (create, update, patch),
/// so that what is stored and returned matches what an upstream server would store.
///
/// Every rule only fills what is unset, so applying them again changes nothing and a re-applied
/// manifest is a no-op.
enum ObjectDefaults {
    static func apply(to object: inout JSONValue, info: ResourceInfo) {
        // A built-in kind's spec is a plain struct upstream, written `{}` when empty.
        if info.hasSpec && info.definition.hasPrefix("io.k8s.api.") {
            object.defaultValue("spec", [:])
        }
        switch (info.group, info.resource) {
        case ("apiextensions.k8s.io", "customresourcedefinitions"): CustomResourceDefinitionDefaults.apply(&object)
        case ("", "pods"):
            object.modify("spec") { spec in
                PodSpecDefaults.applyPodOnly(toSpec: &spec)
                PodSpecDefaults.apply(toSpec: &spec)
            }
        case ("", "podtemplates"): WorkloadDefaults.podTemplate(&object)
        case ("", "replicationcontrollers"): WorkloadDefaults.replicationController(&object)
        case ("apps", "deployments"): WorkloadDefaults.deployment(&object)
        case ("apps", "replicasets"): WorkloadDefaults.replicaSet(&object)
        case ("apps", "statefulsets"): WorkloadDefaults.statefulSet(&object)
        case ("apps", "daemonsets"): WorkloadDefaults.daemonSet(&object)
        case ("batch", "jobs"): BatchDefaults.job(&object)
        case ("batch", "cronjobs"): BatchDefaults.cronJob(&object)
        case ("", "services"): ServiceDefaults.service(&object)
        case ("", "endpoints"): ServiceDefaults.endpoints(&object)
        case ("discovery.k8s.io", "endpointslices"): ServiceDefaults.endpointSlice(&object)
        case ("", "secrets"): SecretDefaults.secret(&object)
        case ("", "persistentvolumes"): StorageDefaults.persistentVolume(&object)
        case ("", "persistentvolumeclaims"): StorageDefaults.persistentVolumeClaim(&object)
        case ("storage.k8s.io", "storageclasses"): StorageDefaults.storageClass(&object)
        case ("storage.k8s.io", "csidrivers"): StorageDefaults.csiDriver(&object)
        case ("", "namespaces"): ClusterDefaults.namespace(&object)
        case ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"):
            WebhookConfigurationDefaults.apply(&object, mutating: true)
        case ("admissionregistration.k8s.io", "validatingwebhookconfigurations"):
            WebhookConfigurationDefaults.apply(&object, mutating: false)
        case ("", "nodes"): ClusterDefaults.node(&object)
        case ("", "limitranges"): ClusterDefaults.limitRange(&object)
        case ("", "resourcequotas"): ClusterDefaults.resourceQuota(&object)
        case ("scheduling.k8s.io", "priorityclasses"): ClusterDefaults.priorityClass(&object)
        case ("autoscaling", "horizontalpodautoscalers"): ClusterDefaults.horizontalPodAutoscaler(&object)
        case ("", "events"): EventDefaults.event(&object)
        default:
            break
        }
    }

    /// What upstream adds once a new object has its uid, before it is first stored: the admission
    /// plugins' additions to a pod, and a Job's generated selector.
    static func prepareForCreate(_ object: inout JSONValue, info: ResourceInfo,
                                 tolerationSeconds: DefaultTolerationSeconds = .init()) {
        switch (info.group, info.resource) {
        case ("", "pods"):
            PodAdmissionDefaults.applyOnCreate(to: &object, tolerationSeconds: tolerationSeconds)
        case ("batch", "jobs"):
            BatchDefaults.generateSelector(&object)
            BatchDefaults.copyTemplateLabels(&object)
        default:
            break
        }
    }
}
