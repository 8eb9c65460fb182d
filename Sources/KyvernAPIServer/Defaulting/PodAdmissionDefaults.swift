import KyvernAPI

/// What the admission plugins every upstream cluster runs add to a new pod: the ServiceAccount
/// plugin's account name, the Priority plugin's priority, and the DefaultTolerationSeconds
/// plugin's tolerations. They act on create only, after defaulting.
///
/// The ServiceAccount plugin's token volume and mounts are not added here.
enum PodAdmissionDefaults {
    /// The priorities of the two built-in system classes.
    static let systemPriorities: [String: Int64] = [
        "system-node-critical": 2_000_001_000,
        "system-cluster-critical": 2_000_000_000,
    ]

    static func applyOnCreate(to pod: inout JSONValue, tolerationSeconds: DefaultTolerationSeconds = .init()) {
        // As upstream's ServiceAccount plugin, a mirror pod (a node's static pod) gets no account.
        let isMirror = NodePodReferences.isMirror(pod)
        pod.modify("spec") { spec in
            if !isMirror { serviceAccount(&spec) }
            priority(&spec)
            tolerations(&spec, seconds: tolerationSeconds)
        }
    }

    static func serviceAccount(_ spec: inout JSONValue) {
        PodSpecDefaults.mirrorServiceAccount(&spec)
        if spec.isEmpty("serviceAccountName") {
            spec["serviceAccountName"] = "default"
        }
        PodSpecDefaults.mirrorServiceAccount(&spec)
    }

    /// Without a class, priority 0 (no global default class is known here); a system class gets
    /// its fixed value. A user-defined class is resolved by nothing yet, so it is left alone.
    static func priority(_ spec: inout JSONValue) {
        let className = spec["priorityClassName"]?.stringValue ?? ""
        let value: Int64? = className.isEmpty ? 0 : systemPriorities[className]
        guard let value else { return }
        spec.defaultValue("priority", .int(value))
        spec.defaultValue("preemptionPolicy", "PreemptLowerPriority")
    }

    /// Adds a NoExecute toleration (300 s unless configured) for each of the not-ready and unreachable taints that
    /// no toleration already covers.
    static func tolerations(_ spec: inout JSONValue, seconds: DefaultTolerationSeconds = .init()) {
        var list = spec["tolerations"]?.arrayValue ?? []
        let existing = list.map(Toleration.init(json:))
        func tolerated(_ key: String) -> Bool {
            existing.contains { $0.matchesKeyAndEffect(of: Taint(key: key, effect: "NoExecute")) }
        }
        var added: [JSONValue] = []
        for (key, tolerationSeconds) in [("node.kubernetes.io/not-ready", seconds.notReady),
                                         ("node.kubernetes.io/unreachable", seconds.unreachable)] where !tolerated(key) {
            added.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute",
                          "tolerationSeconds": .int(tolerationSeconds)])
        }
        guard !added.isEmpty else { return }
        list.append(contentsOf: added)
        spec["tolerations"] = .array(list)
    }
}
