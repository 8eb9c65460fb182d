import KyvernAPI

/// Which container of a pod a log, exec or attach request means, checked against the pod object
/// with upstream's messages (the API server's container choice, then the kubelet's state check).
struct PodStreamTarget: Sendable, Hashable {
    var namespace: String
    var pod: String
    var container: String
    var nodeName: String

    enum Purpose: Sendable { case logs(previous: Bool), exec, attach }

    /// Every container name in upstream's visiting order: init, regular, ephemeral.
    static func containerNames(_ pod: JSONValue) -> [String] {
        ["initContainers", "containers", "ephemeralContainers"].flatMap { field in
            (pod[path: ["spec", field]]?.arrayValue ?? []).compactMap { $0[path: ["name"]]?.stringValue }
        }
    }

    /// Resolves the container; throws 400s as upstream does. A pod without a node yields a
    /// target with an empty `nodeName` (logs answer empty, streams refuse).
    static func resolve(pod: JSONValue, container requested: String?, purpose: Purpose) throws -> PodStreamTarget {
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        var container = requested ?? ""
        if container.isEmpty {
            let regular = (pod[path: ["spec", "containers"]]?.arrayValue ?? []).compactMap { $0[path: ["name"]]?.stringValue }
            switch regular.count {
            case 1: container = regular[0]
            case 0: throw APIError.badRequest("a container name must be specified for pod \(name)")
            default:
                let all = containerNames(pod).joined(separator: " ")
                throw APIError.badRequest("a container name must be specified for pod \(name), choose one of: [\(all)]")
            }
        } else if !containerNames(pod).contains(container) {
            throw APIError.badRequest("container \(container) is not valid for pod \(name)")
        }
        let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        if nodeName.isEmpty {
            if case .logs = purpose { return PodStreamTarget(namespace: namespace, pod: name, container: container, nodeName: "") }
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        try checkState(pod: pod, podName: name, container: container, purpose: purpose)
        return PodStreamTarget(namespace: namespace, pod: name, container: container, nodeName: nodeName)
    }

    /// The node agent's checks of the container's reported state, made here from the same status.
    private static func checkState(pod: JSONValue, podName: String, container: String, purpose: Purpose) throws {
        let statuses = ["containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"].flatMap {
            pod[path: ["status", $0]]?.arrayValue ?? []
        }
        guard let status = statuses.first(where: { $0[path: ["name"]]?.stringValue == container }) else {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(podName)\" is not available")
        }
        let lastTerminated = status[path: ["lastState", "terminated"]]
        let hasPrevious = !(lastTerminated?[path: ["containerID"]]?.stringValue ?? "").isEmpty
        let state = status[path: ["state"]]
        switch purpose {
        case .logs(previous: true):
            if !hasPrevious {
                throw APIError.badRequest("previous terminated container \"\(container)\" in pod \"\(podName)\" not found")
            }
        case .logs(previous: false):
            if state?[path: ["running"]] != nil || state?[path: ["terminated"]] != nil || hasPrevious { return }
            if let waiting = state?[path: ["waiting"]] {
                throw APIError.badRequest(waitingMessage(container: container, pod: podName, reason: waiting[path: ["reason"]]?.stringValue ?? ""))
            }
        case .exec, .attach:
            if state?[path: ["running"]] != nil { return }
            if let waiting = state?[path: ["waiting"]] {
                throw APIError.badRequest(waitingMessage(container: container, pod: podName, reason: waiting[path: ["reason"]]?.stringValue ?? ""))
            }
            throw APIError.badRequest("container \"\(container)\" in pod \"\(podName)\" is not running")
        }
    }

    static func waitingMessage(container: String, pod: String, reason: String) -> String {
        let detail = switch reason {
        case "ErrImagePull": "image can't be pulled"
        case "ImagePullBackOff": "trying and failing to pull image"
        default: reason
        }
        return "container \"\(container)\" in pod \"\(pod)\" is waiting to start: \(detail)"
    }
}
