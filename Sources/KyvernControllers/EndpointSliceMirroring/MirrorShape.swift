import KyvernAPI

/// How the mirroring controller writes slices (upstream's mirroring `newEndpointSlice`): the
/// Endpoints' labels and annotations, its name as the service name, owned by the Endpoints.
enum MirrorShape {
    static let controllerName = "endpointslicemirroring-controller.k8s.io"
    static let skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"
    /// Endpoints used as a leader-election lock are never mirrored.
    static let leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"
    /// Annotations that describe the Endpoints object itself, not what it lists.
    static let unmirroredAnnotations: Set = [EndpointSliceShape.triggerTimeAnnotation,
                                             "kubectl.kubernetes.io/last-applied-configuration"]

    /// Whether `endpoints` is to be mirrored at all (upstream's `shouldMirror`); the Service is
    /// checked separately.
    static func shouldMirror(_ endpoints: JSONValue) -> Bool {
        endpoints.labels[skipMirrorLabel] != "true" && endpoints.annotations[leaderAnnotation] == nil
    }

    static func labels(endpoints: JSONValue) -> [String: String] {
        var labels = endpoints.labels
        labels[EndpointSliceShape.serviceNameLabel] = endpoints.name ?? ""
        labels[EndpointSliceShape.managedByLabel] = controllerName
        return labels
    }

    static func annotations(endpoints: JSONValue) -> [String: String] {
        endpoints.annotations.filter { !unmirroredAnnotations.contains($0.key) }
    }

    static func ownerReference(endpoints: JSONValue) -> JSONValue {
        ControllerRef(apiVersion: "v1", kind: "Endpoints", name: endpoints.name ?? "", uid: endpoints.uid ?? "").json
    }

    /// The slice for one group; no name (the server generates `<name>-xxxxx`).
    static func slice(endpoints: JSONValue, group: MirroredEndpoints.Group) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "generateName": .string((endpoints.name ?? "") + "-"), "namespace": .string(endpoints.namespace ?? ""),
            "labels": .object(labels(endpoints: endpoints).mapValues(JSONValue.string)),
            "ownerReferences": [ownerReference(endpoints: endpoints)],
        ]
        let annotations = annotations(endpoints: endpoints)
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues(JSONValue.string)) }
        return [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": .object(metadata),
            "addressType": .string(EndpointSliceShape.addressType), "endpoints": .array(group.endpoints),
            "ports": .array(group.ports),
        ]
    }

    /// Whether `existing` already says what `desired` says: same endpoints in any order, labels,
    /// annotations and owner.
    static func matches(_ existing: JSONValue, _ desired: JSONValue) -> Bool {
        func sorted(_ slice: JSONValue) -> [String] {
            EndpointSliceShape.endpoints(of: slice).map { $0.jsonString }.sorted()
        }
        return sorted(existing) == sorted(desired) && existing.labels == desired.labels
            && existing.annotations == desired.annotations && existing.ownerReferences == desired.ownerReferences
    }
}
