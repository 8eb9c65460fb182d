import KyvernAPI
@testable import KyvernControllers

/// Deployments and ReplicaSets shaped as the API server stores them (defaults applied).
enum DeploymentFixtures {
    static func template(image: String = "nginx:1.27", labels: [String: String] = ["app": "web"]) -> JSONValue {
        [
            "metadata": ["labels": .object(labels.mapValues(JSONValue.string))],
            "spec": ["containers": [["name": "web", "image": .string(image)]], "restartPolicy": "Always"],
        ]
    }

    static func deployment(name: String = "web", replicas: Int = 3, image: String = "nginx:1.27",
                           maxSurge: JSONValue = "25%", maxUnavailable: JSONValue = "25%",
                           strategy: String = "RollingUpdate", generation: Int = 1,
                           revisionHistoryLimit: Int? = 10, progressDeadlineSeconds: Int? = 600,
                           paused: Bool = false, status: JSONValue? = nil) -> DeploymentObject {
        var spec: JSONValue = [
            "replicas": .int(Int64(replicas)),
            "selector": ["matchLabels": ["app": "web"]],
            "template": template(image: image),
            "strategy": strategy == "RollingUpdate"
                ? ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": maxSurge, "maxUnavailable": maxUnavailable]]
                : ["type": .string(strategy)],
        ]
        if let revisionHistoryLimit { spec["revisionHistoryLimit"] = .int(Int64(revisionHistoryLimit)) }
        if let progressDeadlineSeconds { spec["progressDeadlineSeconds"] = .int(Int64(progressDeadlineSeconds)) }
        if paused { spec["paused"] = true }
        var object: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": "default", "uid": "d-uid",
                         "generation": .int(Int64(generation)), "creationTimestamp": "2026-11-26T10:00:00Z"],
            "spec": spec,
        ]
        if let status { object["status"] = status }
        return DeploymentObject(object)
    }

    /// A ReplicaSet of `deployment` with the given template image, sizes and revision.
    static func replicaSet(_ name: String, image: String = "nginx:1.27", replicas: Int, available: Int? = nil,
                           ready: Int? = nil, statusReplicas: Int? = nil, revision: Int? = nil,
                           created: String = "2026-11-26T10:00:00Z", desired: Int? = nil, maxReplicas: Int? = nil,
                           uid: String? = nil) -> ReplicaSetObject {
        var annotations: [String: JSONValue] = [:]
        if let revision { annotations[DeploymentKeys.revision] = .string(String(revision)) }
        if let desired { annotations[DeploymentKeys.desiredReplicas] = .string(String(desired)) }
        if let maxReplicas { annotations[DeploymentKeys.maxReplicas] = .string(String(maxReplicas)) }
        var tmpl = template(image: image)
        tmpl[path: ["metadata", "labels", "pod-template-hash"]] = .string(String(name.split(separator: "-").last ?? ""))
        var metadata: JSONValue = [
            "name": .string(name), "namespace": "default", "uid": .string(uid ?? name + "-uid"),
            "generation": 1, "creationTimestamp": .string(created),
            "ownerReferences": [["apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-uid",
                                 "controller": true, "blockOwnerDeletion": true]],
        ]
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        let avail = available ?? replicas
        return ReplicaSetObject([
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": metadata,
            "spec": ["replicas": .int(Int64(replicas)), "selector": ["matchLabels": ["app": "web"]], "template": tmpl],
            "status": ["replicas": .int(Int64(statusReplicas ?? replicas)), "readyReplicas": .int(Int64(ready ?? avail)),
                       "availableReplicas": .int(Int64(avail)), "observedGeneration": 1],
        ])
    }
}
