import KyvernAPI

/// How the EndpointSlice controller writes slices: names, labels, endpoints and ports in
/// upstream's shape (`discovery.k8s.io/v1`, one address family per slice).
enum EndpointSliceShape {
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let serviceNameLabel = "kubernetes.io/service-name"
    static let headlessLabel = "service.kubernetes.io/headless"
    static let controllerName = "endpointslice-controller.k8s.io"
    static let triggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"
    static let addressType = "IPv4"
    /// Upstream's default `--max-endpoints-per-slice`.
    static let maxEndpointsPerSlice = 100

    /// One pod as a slice endpoint (upstream's `podToEndpoint`).
    static func endpoint(pod: JSONValue, zone: String?, service: ServiceFacts) -> JSONValue {
        let serving = PodState.isReady(pod)
        let terminating = pod.deletionTimestamp != nil
        // Never ready while terminating, unless the Service publishes not-ready addresses.
        let ready = service.publishNotReadyAddresses || (serving && !terminating)
        var endpoint: [String: JSONValue] = [
            "addresses": .array(PodEndpointFacts.ipv4Addresses(pod).map(JSONValue.string)),
            "conditions": ["ready": .bool(ready), "serving": .bool(serving), "terminating": .bool(terminating)],
            "targetRef": ["kind": "Pod", "namespace": .string(pod.namespace ?? ""), "name": .string(pod.name ?? ""),
                          "uid": .string(pod.uid ?? "")],
        ]
        let nodeName = PodState.nodeName(pod)
        if !nodeName.isEmpty { endpoint["nodeName"] = .string(nodeName) }
        if let zone, !zone.isEmpty { endpoint["zone"] = .string(zone) }
        if let hostname = service.hostname(for: pod) { endpoint["hostname"] = .string(hostname) }
        return .object(endpoint)
    }

    /// The Service's ports as resolved on `pod`; ports whose named target the pod lacks are left
    /// out. A headless Service may have none.
    static func ports(service: ServiceFacts, pod: JSONValue) -> [JSONValue] {
        service.ports.compactMap { servicePort in
            guard let number = PodEndpointFacts.targetPort(of: servicePort, in: pod) else { return nil }
            var port: [String: JSONValue] = [
                "name": .string(servicePort["name"]?.stringValue ?? ""), "port": .int(number),
                "protocol": .string(servicePort["protocol"]?.stringValue ?? "TCP"),
            ]
            if let appProtocol = servicePort["appProtocol"] { port["appProtocol"] = appProtocol }
            return .object(port)
        }
    }

    /// Equal for equal sets of ports, whatever their order (upstream's `PortMapKey`).
    static func portsKey(_ ports: [JSONValue]) -> String {
        ports.map { port in
            [port["name"]?.stringValue ?? "", String(port["port"]?.intValue ?? 0),
             port["protocol"]?.stringValue ?? "TCP", port["appProtocol"]?.stringValue ?? ""].joined(separator: "/")
        }.sorted().joined(separator: ",")
    }

    /// A controller's existing slices in name order, grouped by ``portsKey(_:)`` when they have our
    /// address type and `keep` accepts them; the rest are `others` (to be deleted).
    static func byPorts(_ existing: [JSONValue], keep: (JSONValue) -> Bool = { _ in true })
        -> (groups: [String: [JSONValue]], others: [JSONValue]) {
        var groups: [String: [JSONValue]] = [:]
        var others: [JSONValue] = []
        for slice in existing.sorted(by: { ($0.name ?? "") < ($1.name ?? "") }) {
            if slice["addressType"]?.stringValue == addressType, keep(slice) {
                groups[portsKey(ports(of: slice)), default: []].append(slice)
            } else {
                others.append(slice)
            }
        }
        return (groups, others)
    }

    /// What makes two endpoints "the same endpoint" (upstream's endpoint hash): addresses,
    /// hostname and the pod's name; everything else about it is state that may change.
    static func identity(_ endpoint: JSONValue) -> String {
        let addresses = (endpoint["addresses"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
        return [addresses.joined(separator: ","), endpoint["hostname"]?.stringValue ?? "",
                endpoint[path: ["targetRef", "namespace"]]?.stringValue ?? "",
                endpoint[path: ["targetRef", "name"]]?.stringValue ?? ""].joined(separator: "|")
    }

    /// The slice's labels: the Service's, minus the reserved ones, plus service name, manager and
    /// the headless marker (upstream's `setEndpointSliceLabels`).
    static func labels(service: ServiceFacts) -> [String: String] {
        var labels = serviceLabelsWithoutReserved(service)
        if service.isHeadless { labels[headlessLabel] = "" }
        labels[serviceNameLabel] = service.name
        labels[managedByLabel] = controllerName
        return labels
    }

    static func serviceLabelsWithoutReserved(_ service: ServiceFacts) -> [String: String] {
        service.labels.filter { !isReserved($0.key) }
    }

    static func isReserved(_ label: String) -> Bool {
        label == serviceNameLabel || label == managedByLabel || label == headlessLabel
    }

    /// The controller reference every slice carries to its Service.
    static func ownerReference(service: ServiceFacts) -> JSONValue {
        ControllerRef(apiVersion: "v1", kind: "Service", name: service.name, uid: service.service.uid ?? "").json
    }

    /// Whether `slice` belongs to this incarnation of the Service (not to a deleted one of the same name).
    static func isOwned(_ slice: JSONValue, by service: ServiceFacts) -> Bool {
        slice.ownerReferences.contains {
            $0["uid"]?.stringValue == service.service.uid && $0["kind"]?.stringValue == "Service"
                && $0["apiVersion"]?.stringValue == "v1"
        }
    }

    /// A new slice for `ports` (no name: the server generates `<service>-xxxxx`).
    static func newSlice(service: ServiceFacts, ports: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "generateName": .string(service.name + "-"), "namespace": .string(service.namespace),
                "labels": .object(labels(service: service).mapValues(JSONValue.string)),
                "ownerReferences": [ownerReference(service: service)],
            ],
            "addressType": .string(addressType), "endpoints": [], "ports": .array(ports),
        ]
    }

    static func endpoints(of slice: JSONValue) -> [JSONValue] { slice["endpoints"]?.arrayValue ?? [] }
    static func ports(of slice: JSONValue) -> [JSONValue] { slice["ports"]?.arrayValue ?? [] }
}
