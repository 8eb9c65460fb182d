import KyvernAPI

/// The facts about a pod that decide whether and how it appears as an endpoint.
enum PodEndpointFacts {
    /// The pod's IPv4 addresses (`status.podIPs`, else `status.podIP`).
    static func ipv4Addresses(_ pod: JSONValue) -> [String] {
        var addresses = (pod[path: ["status", "podIPs"]]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        if addresses.isEmpty, let ip = pod[path: ["status", "podIP"]]?.stringValue, !ip.isEmpty { addresses = [ip] }
        return addresses.filter { !$0.contains(":") && !$0.isEmpty }
    }

    /// Upstream's `ShouldPodBeInEndpoints`: not finished, has an address, and (unless
    /// `includeTerminating`) not being deleted.
    static func belongsInEndpoints(_ pod: JSONValue, includeTerminating: Bool) -> Bool {
        let phase = PodState.phase(pod)
        if phase == "Failed" || phase == "Succeeded" { return false }
        let hasIP = !(pod[path: ["status", "podIP"]]?.stringValue ?? "").isEmpty
            || !(pod[path: ["status", "podIPs"]]?.arrayValue ?? []).isEmpty
        if !hasIP { return false }
        if !includeTerminating && pod.deletionTimestamp != nil { return false }
        return true
    }

    /// The container port a Service port's `targetPort` names on this pod (upstream's `FindPort`):
    /// a number is used as is; a name is looked up among the containers' ports of the same
    /// protocol, then among sidecars (init containers that always restart). Nil when not found.
    static func targetPort(of servicePort: JSONValue, in pod: JSONValue) -> Int64? {
        let target = servicePort["targetPort"] ?? servicePort["port"]
        if let number = target?.intValue { return number }
        guard let name = target?.stringValue else { return nil }
        let proto = servicePort["protocol"]?.stringValue ?? "TCP"
        let containers = pod[path: ["spec", "containers"]]?.arrayValue ?? []
        let sidecars = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
            .filter { $0["restartPolicy"]?.stringValue == "Always" }
        for container in containers + sidecars {
            for port in container["ports"]?.arrayValue ?? []
            where port["name"]?.stringValue == name && (port["protocol"]?.stringValue ?? "TCP") == proto {
                if let number = port["containerPort"]?.intValue { return number }
            }
        }
        return nil
    }

    /// When the pod last changed in a way that moves endpoints: its Ready condition's transition.
    static func triggerTime(_ pod: JSONValue) -> String? {
        PodState.readyCondition(pod)?["lastTransitionTime"]?.stringValue
    }

    /// Whether an update of a pod can change any endpoint built from it; everything else a pod's
    /// status churns through (container states, restart counts) is ignored, so those updates cost
    /// nothing.
    static func endpointsChanged(old: JSONValue, new: JSONValue) -> Bool {
        if old.labels != new.labels { return true }
        if (old.deletionTimestamp == nil) != (new.deletionTimestamp == nil) { return true }
        if PodState.isReady(old) != PodState.isReady(new) { return true }
        if triggerTime(old) != triggerTime(new) { return true }
        for path in [["status", "podIP"], ["status", "podIPs"], ["status", "phase"], ["spec", "nodeName"],
                     ["spec", "hostname"], ["spec", "subdomain"], ["metadata", "uid"]]
        where old[path: path] != new[path: path] {
            return true
        }
        return false
    }
}
