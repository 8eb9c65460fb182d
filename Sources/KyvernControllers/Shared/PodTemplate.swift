import KyvernAPI

/// Builds the pod a controller creates from its `spec.template` (upstream's `GetPodFromTemplate`).
enum PodTemplate {
    /// A pod named `<owner>-<random>` by the server, carrying the template's labels, annotations,
    /// finalizers and spec, and owned by `controllerRef`.
    static func pod(from template: JSONValue?, namespace: String, ownerName: String, controllerRef: ControllerRef) -> JSONValue {
        let templateMeta = template?["metadata"]?.objectValue ?? [:]
        var metadata: [String: JSONValue] = [
            "generateName": .string(generateNamePrefix(ownerName)),
            "namespace": .string(namespace),
            "ownerReferences": [controllerRef.json],
        ]
        for key in ["labels", "annotations", "finalizers"] {
            if let value = templateMeta[key], !value.isNull { metadata[key] = value }
        }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": .object(metadata),
            "spec": template?["spec"] ?? .object([:]),
        ]
    }

    /// `<owner>-`, unless that would not be a valid name prefix (too long), then `<owner>`.
    static func generateNamePrefix(_ ownerName: String) -> String {
        ownerName.utf8.count >= 253 ? ownerName : ownerName + "-"
    }
}
