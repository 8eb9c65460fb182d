import KyvernAPI

/// The stable identity of a StatefulSet's pods (upstream's `stateful_set_utils`): the name
/// `<set>-<ordinal>`, the `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`
/// labels, and `hostname`/`subdomain` so the governing headless Service gives each pod a DNS name.
enum StatefulPodIdentity {
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"
    static let revisionLabel = "controller-revision-hash"

    static func podName(set: String, ordinal: Int) -> String { "\(set)-\(ordinal)" }

    /// The parent name and ordinal a pod's name encodes (`(.*)-([0-9]+)$`), nil when it encodes none.
    static func parentAndOrdinal(_ name: String) -> (parent: String, ordinal: Int)? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let digits = name[name.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let ordinal = Int(digits) else { return nil }
        return (String(name[..<dash]), ordinal)
    }

    static func ordinal(of pod: JSONValue) -> Int? { parentAndOrdinal(pod.name ?? "")?.ordinal }

    /// Whether `pod` is named as one of `set`'s pods (only those are claimed).
    static func isMember(_ pod: JSONValue, of set: JSONValue) -> Bool {
        parentAndOrdinal(pod.name ?? "")?.parent == set.name
    }

    /// `spec.ordinals.start`, 0 when unset.
    static func startOrdinal(_ set: JSONValue) -> Int {
        Int(set[path: ["spec", "ordinals", "start"]]?.intValue ?? 0)
    }

    static func replicas(_ set: JSONValue) -> Int {
        Int(set[path: ["spec", "replicas"]]?.intValue ?? 1)
    }

    /// Whether `ordinal` lies in `[start, start + replicas)`.
    static func inRange(_ ordinal: Int, of set: JSONValue) -> Bool {
        let start = startOrdinal(set)
        return ordinal >= start && ordinal < start + replicas(set)
    }

    /// The revision name a pod was created from.
    static func revision(of pod: JSONValue) -> String? { pod.labels[revisionLabel] }

    /// The pod of ordinal `ordinal` built from `set`'s template (upstream's `newStatefulSetPod`):
    /// named, labelled, with hostname and subdomain, its claim templates mounted as claims.
    static func newPod(set: JSONValue, ordinal: Int, revision: String, controllerRef: ControllerRef) -> JSONValue {
        var pod = PodTemplate.pod(from: set[path: ["spec", "template"]], namespace: set.namespace ?? "",
                                  ownerName: set.name ?? "", controllerRef: controllerRef)
        let name = podName(set: set.name ?? "", ordinal: ordinal)
        pod.name = name
        var labels = pod.labels
        labels[podNameLabel] = name
        labels[podIndexLabel] = String(ordinal)
        labels[revisionLabel] = revision
        pod.labels = labels
        pod[path: ["spec", "hostname"]] = .string(name)
        if let service = set[path: ["spec", "serviceName"]]?.stringValue, !service.isEmpty {
            pod[path: ["spec", "subdomain"]] = .string(service)
        }
        pod[path: ["spec", "volumes"]] = volumes(set: set, ordinal: ordinal, current: pod[path: ["spec", "volumes"]]?.arrayValue ?? [])
        if pod[path: ["spec", "volumes"]]?.arrayValue?.isEmpty == true { pod[path: ["spec", "volumes"]] = nil }
        return pod
    }

    /// One `persistentVolumeClaim` volume per claim template, then the template's other volumes
    /// (a template volume of the same name is replaced by the claim, as upstream's `updateStorage`).
    static func volumes(set: JSONValue, ordinal: Int, current: [JSONValue]) -> JSONValue {
        let claims = StatefulSetClaims.templates(set)
        var volumes: [JSONValue] = claims.map { template in
            ["name": .string(template.name ?? ""),
             "persistentVolumeClaim": ["claimName": .string(StatefulSetClaims.claimName(template: template, set: set, ordinal: ordinal))]]
        }
        let claimNames = Set(claims.compactMap(\.name))
        volumes += current.filter { !claimNames.contains($0["name"]?.stringValue ?? "") }
        return .array(volumes)
    }

    /// Whether the pod carries the identity of its ordinal (upstream's `identityMatches`).
    static func identityMatches(_ pod: JSONValue, set: JSONValue) -> Bool {
        guard let (parent, ordinal) = parentAndOrdinal(pod.name ?? ""), parent == set.name else { return false }
        return pod.namespace == set.namespace && pod.labels[podNameLabel] == pod.name
            && pod.labels[podIndexLabel] == String(ordinal)
    }

    /// The label patch restoring a pod's identity labels.
    static func identityPatch(_ pod: JSONValue) -> JSONValue {
        let ordinal = ordinal(of: pod) ?? 0
        return ["metadata": ["labels": [podNameLabel: .string(pod.name ?? ""), podIndexLabel: .string(String(ordinal))]]]
    }
}
