public import KyvernAPI

/// The little behaviour per kind that the schema cannot express: which name rule applies,
/// what status a new object starts with, and which fields a field selector may name.
///
/// Everything else about a resource is generic and driven by `ResourceInfo`.
public struct KindStrategy: Sendable {
    public var info: ResourceInfo

    /// A custom resource's `selectableFields` (`.spec.color`), selectable as `spec.color`.
    public var customSelectableFields: [String] = []

    public init(info: ResourceInfo) {
        self.info = info
    }

    /// Upstream validates most names as DNS subdomains; a few kinds need DNS labels, and RBAC's
    /// kinds take any path segment (`system:node`).
    public var nameRule: NameRule {
        switch (info.group, info.resource) {
        case ("rbac.authorization.k8s.io", _): return .pathSegment
        case ("", "namespaces"): return .dns1123Label
        case ("", "services"): return .dns1035Label
        case ("apps", "statefulsets"): return .dns1123Label
        default: return .dns1123Subdomain
        }
    }

    /// True when `status` is kept apart from the main resource (a status subresource exists).
    public var hasStatusSubresource: Bool { info.subresource("status") != nil }

    /// The status a newly created object starts with, when the kind resets it on create.
    public func initialStatus(for object: JSONValue) -> JSONValue? {
        guard hasStatusSubresource else { return object["status"] }
        switch (info.group, info.resource) {
        case ("", "pods"):
            return ["phase": "Pending", "qosClass": .string(PodQOS.classify(object))]
        case ("", "namespaces"):
            return ["phase": "Active"]
        case ("", "nodes"), ("", "persistentvolumes"), ("", "persistentvolumeclaims"):
            // The node agent reports a node's status with the create; volumes start Pending.
            if info.resource == "nodes" { return object["status"] }
            return ["phase": "Pending"]
        case ("", "services"):
            return ["loadBalancer": [:]]
        default:
            return EmptyStatus.forNewObject(info)
        }
    }

    /// Kind-specific fields upstream fills in on create.
    public func prepareForCreate(_ object: inout JSONValue, tolerationSeconds: DefaultTolerationSeconds = .init()) {
        ObjectDefaults.prepareForCreate(&object, info: info, tolerationSeconds: tolerationSeconds)
        switch (info.group, info.resource) {
        case ("", "namespaces"):
            let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
            object[path: ["metadata", "labels", "kubernetes.io/metadata.name"]] = .string(name)
            var finalizers = object[path: ["spec", "finalizers"]]?.arrayValue ?? []
            if !finalizers.contains("kubernetes") { finalizers.append("kubernetes") }
            object[path: ["spec", "finalizers"]] = .array(finalizers)
        case ("", "nodes"):
            TaintNodesByCondition.admitCreate(&object)
        case ("apps", "daemonsets"):
            DaemonSetTemplateGeneration.prepareForCreate(&object)
        default:
            break
        }
    }

    /// The field-selector fields upstream supports for this kind, with their values.
    public func selectableFields(_ object: JSONValue) -> [String: String] {
        var fields: [String: String] = [
            "metadata.name": object[path: ["metadata", "name"]]?.stringValue ?? "",
        ]
        if info.namespaced {
            fields["metadata.namespace"] = object[path: ["metadata", "namespace"]]?.stringValue ?? ""
        }
        func string(_ path: [String]) -> String {
            switch object[path: path] {
            case .string(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .int(let i): return String(i)
            default: return ""
            }
        }
        for path in customSelectableFields {
            let name = path.hasPrefix(".") ? String(path.dropFirst()) : path
            fields[name] = string(name.split(separator: ".").map(String.init))
        }
        switch (info.group, info.resource) {
        case ("", "pods"):
            fields["spec.nodeName"] = string(["spec", "nodeName"])
            fields["spec.restartPolicy"] = string(["spec", "restartPolicy"])
            fields["spec.schedulerName"] = string(["spec", "schedulerName"])
            fields["spec.serviceAccountName"] = string(["spec", "serviceAccountName"])
            fields["spec.hostNetwork"] = object[path: ["spec", "hostNetwork"]]?.boolValue == true ? "true" : "false"
            fields["status.phase"] = string(["status", "phase"])
            fields["status.podIP"] = string(["status", "podIP"])
            fields["status.nominatedNodeName"] = string(["status", "nominatedNodeName"])
        case ("", "events"):
            for field in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
                fields["involvedObject.\(field)"] = string(["involvedObject", field])
            }
            fields["reason"] = string(["reason"])
            fields["reportingComponent"] = string(["reportingComponent"])
            fields["source"] = string(["source", "component"])
            fields["type"] = string(["type"])
        case ("events.k8s.io", "events"):
            for field in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
                fields["regarding.\(field)"] = string(["regarding", field])
            }
            fields["reason"] = string(["reason"])
            fields["reportingController"] = string(["reportingController"])
            fields["type"] = string(["type"])
        case ("", "secrets"):
            fields["type"] = string(["type"])
        case ("", "nodes"):
            fields["spec.unschedulable"] = object[path: ["spec", "unschedulable"]]?.boolValue == true ? "true" : "false"
        case ("", "namespaces"):
            fields["status.phase"] = string(["status", "phase"])
        case ("", "replicationcontrollers"), ("apps", "replicasets"):
            fields["status.replicas"] = string(["status", "replicas"])
        case ("batch", "jobs"):
            fields["status.successful"] = string(["status", "successful"])
        case ("", "services"):
            fields["spec.clusterIP"] = string(["spec", "clusterIP"])
            fields["spec.type"] = string(["spec", "type"])
        default:
            break
        }
        return fields
    }
}
