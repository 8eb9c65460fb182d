import KyvernAPI

/// Read-only views of a pod object that the workers ask for again and again.
struct PodFacts: Sendable {
    let pod: JSONValue

    var uid: String { pod[path: ["metadata", "uid"]]?.stringValue ?? "" }
    var name: String { pod[path: ["metadata", "name"]]?.stringValue ?? "" }
    var namespace: String { pod[path: ["metadata", "namespace"]]?.stringValue ?? "" }
    var spec: JSONValue { pod["spec"] ?? [:] }
    var containers: [JSONValue] { spec["containers"]?.arrayValue ?? [] }
    var initContainers: [JSONValue] { spec["initContainers"]?.arrayValue ?? [] }
    /// Always (the default), OnFailure or Never.
    var restartPolicy: String { spec["restartPolicy"]?.stringValue ?? "Always" }
    var hostNetwork: Bool { spec["hostNetwork"] == .bool(true) }
    var isDeleting: Bool { pod[path: ["metadata", "deletionTimestamp"]]?.stringValue != nil }
    /// `name_namespace(uid)`, as upstream's messages name pods.
    var display: String { "\(name)_\(namespace)(\(uid))" }

    /// The grace period of a deletion: the one the delete asked for, else the pod's, else 30 s.
    var gracePeriodSeconds: Int64 {
        pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue
            ?? spec["terminationGracePeriodSeconds"]?.intValue ?? 30
    }

    func container(named name: String) -> JSONValue? {
        (containers + initContainers).first { $0["name"]?.stringValue == name }
    }

    /// Where a container sits in the spec, as events' `involvedObject.fieldPath` names it.
    func fieldPath(of name: String) -> String {
        if initContainers.contains(where: { $0["name"]?.stringValue == name }) {
            return "spec.initContainers{\(name)}"
        }
        return "spec.containers{\(name)}"
    }
}

extension JSONValue {
    var containerName: String { self["name"]?.stringValue ?? "" }
    /// An init container with `restartPolicy: Always` runs beside the others for the pod's life.
    var isSidecar: Bool { self["restartPolicy"]?.stringValue == "Always" }
}
