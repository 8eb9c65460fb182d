import KyvernAPI

/// The `scale` subresource of a custom resource: replicas and selector read from, and replicas
/// written to, the paths its definition names (`.spec.replicas`, `.status.replicas`, `.status.selector`).
enum CustomResourceScale {
    static func scaleObject(of object: JSONValue, paths: CustomResourceScalePaths, metadata: JSONValue) -> JSONValue {
        let specReplicas = object[path: fieldPath(paths.specReplicasPath)]?.intValue ?? 0
        let statusReplicas = object[path: fieldPath(paths.statusReplicasPath)]?.intValue ?? 0
        var status: JSONValue = ["replicas": .int(statusReplicas)]
        if let selectorPath = paths.labelSelectorPath,
           let selector = object[path: fieldPath(selectorPath)]?.stringValue {
            status["selector"] = .string(selector)
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": metadata,
            "spec": ["replicas": .int(specReplicas)],
            "status": status,
        ]
    }

    /// `.spec.replicas` as `["spec", "replicas"]` (the definition's validation allows only such paths).
    static func fieldPath(_ path: String) -> [String] {
        (try? PrinterColumnPath(path))?.fieldPath ?? path.split(separator: ".").map(String.init)
    }
}
