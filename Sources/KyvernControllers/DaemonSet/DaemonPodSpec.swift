import KyvernAPI

/// The pod a DaemonSet creates for one node (upstream's `CreatePodTemplate` and
/// `ReplaceDaemonSetPodNodeNameNodeAffinity`).
///
/// Daemon pods tolerate the node conditions a daemon must survive (not-ready, unreachable, pressure,
/// unschedulable), carry the revision hash and template generation labels, and are pinned to their
/// node through required node affinity on `metadata.name`, so the scheduler binds them there.
enum DaemonPodSpec {
    static let templateGenerationLabel = "pod-template-generation"
    static let templateGenerationAnnotation = "deprecated.daemonset.template.generation"

    /// The tolerations upstream adds to every daemon pod, in its order.
    static func defaultTolerations(hostNetwork: Bool) -> [JSONValue] {
        var list: [(String, String)] = [
            ("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule"),
        ]
        if hostNetwork { list.append(("node.kubernetes.io/network-unavailable", "NoSchedule")) }
        return list.map { ["key": .string($0.0), "operator": "Exists", "effect": .string($0.1)] }
    }

    /// `spec` with the default tolerations merged in: an identical toleration is kept once.
    static func withDefaultTolerations(_ spec: JSONValue?) -> JSONValue {
        var spec = spec ?? .object([:])
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        let hostNetwork = spec["hostNetwork"]?.boolValue ?? false
        for toleration in defaultTolerations(hostNetwork: hostNetwork) where !tolerations.contains(where: { same($0, toleration) }) {
            tolerations.append(toleration)
        }
        spec["tolerations"] = .array(tolerations)
        return spec
    }

    /// Same key, operator, value and effect (upstream's `MatchToleration`); "" and Equal are one operator.
    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func op(_ t: JSONValue) -> String { t["operator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "Equal" }
        return a["key"]?.stringValue == b["key"]?.stringValue && op(a) == op(b)
            && (a["value"]?.stringValue ?? "") == (b["value"]?.stringValue ?? "")
            && (a["effect"]?.stringValue ?? "") == (b["effect"]?.stringValue ?? "")
    }

    /// The template the DaemonSet's pods are made from: tolerations and the hash/generation labels added.
    static func template(of ds: JSONValue, hash: String) -> JSONValue {
        var template = ds[path: ["spec", "template"]] ?? .object([:])
        var labels = template[path: ["metadata", "labels"]]?.objectValue ?? [:]
        if let generation = ds.annotations[templateGenerationAnnotation] {
            labels[templateGenerationLabel] = .string(generation)
        }
        labels[ControllerHistory.hashLabel] = .string(hash)
        template[path: ["metadata", "labels"]] = .object(labels)
        template["spec"] = withDefaultTolerations(template["spec"])
        return template
    }

    /// `template` pinned to `node`: its required node affinity becomes exactly `metadata.name In [node]`.
    static func pinned(_ template: JSONValue, to node: String) -> JSONValue {
        var template = template
        let term: JSONValue = ["matchFields": [["key": "metadata.name", "operator": "In", "values": [.string(node)]]]]
        template[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]] =
            ["nodeSelectorTerms": [term]]
        return template
    }

    /// The node a daemon pod is for: its `spec.nodeName`, else the node its affinity pins it to
    /// (upstream's `GetTargetNodeName`).
    static func targetNode(of pod: JSONValue) -> String? {
        if let name = pod[path: ["spec", "nodeName"]]?.stringValue, !name.isEmpty { return name }
        let terms = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                               "nodeSelectorTerms"]]?.arrayValue ?? []
        for term in terms {
            for field in term["matchFields"]?.arrayValue ?? [] where field["key"]?.stringValue == "metadata.name"
                && field["operator"]?.stringValue == "In" {
                if let values = field["values"]?.arrayValue, values.count == 1, let name = values[0].stringValue {
                    return name
                }
            }
        }
        return nil
    }
}
