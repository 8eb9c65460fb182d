import KyvernAPI

/// What discovery lists beyond the generated catalog: the pods' connect subresources (log, exec,
/// attach, portforward) and the `metrics.k8s.io/v1beta1` group, as a cluster with
/// metrics-server lists them.
enum StreamingCatalog {
    static func extend(_ catalog: [ResourceInfo]) -> [ResourceInfo] {
        var result = catalog.map { info -> ResourceInfo in
            guard info.group.isEmpty, info.version == "v1", info.resource == "pods" else { return info }
            var pods = info
            let connect = [
                SubresourceInfo(name: "attach", kind: "PodAttachOptions", group: "", version: "v1", verbs: ["create", "get"]),
                SubresourceInfo(name: "exec", kind: "PodExecOptions", group: "", version: "v1", verbs: ["create", "get"]),
                SubresourceInfo(name: "log", kind: "Pod", group: "", version: "v1", verbs: ["get"]),
                SubresourceInfo(name: "portforward", kind: "PodPortForwardOptions", group: "", version: "v1", verbs: ["create", "get"]),
            ]
            for sub in connect where pods.subresource(sub.name) == nil { pods.subresources.append(sub) }
            return pods
        }
        let metricsVerbs = ["get", "list"]
        result.append(ResourceInfo(group: ResourceMetrics.group, version: ResourceMetrics.version, resource: "nodes",
                                   singularName: "", kind: "NodeMetrics", listKind: "NodeMetricsList", namespaced: false,
                                   verbs: metricsVerbs, shortNames: [], categories: [], subresources: [],
                                   definition: "", hasSpec: false, hasStatus: false))
        result.append(ResourceInfo(group: ResourceMetrics.group, version: ResourceMetrics.version, resource: "pods",
                                   singularName: "", kind: "PodMetrics", listKind: "PodMetricsList", namespaced: true,
                                   verbs: metricsVerbs, shortNames: [], categories: [], subresources: [],
                                   definition: "", hasSpec: false, hasStatus: false))
        return result
    }

    static func extend(_ groupVersions: [GroupVersionInfo]) -> [GroupVersionInfo] {
        groupVersions + [GroupVersionInfo(group: ResourceMetrics.group, version: ResourceMetrics.version, preferred: true)]
    }
}
