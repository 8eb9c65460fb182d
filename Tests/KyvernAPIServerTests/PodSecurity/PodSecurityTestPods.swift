import KyvernAPI
@testable import KyvernAPIServer

/// Pods for the PodSecurity tests, written as JSON so they read like manifests.
enum PodSecurityTestPods {
    static func pod(_ json: String) -> PodSecurityPod {
        let object = try! JSONValue.parse(json)
        return PodSecurityAdmission.podParts(object)
    }

    static func spec(_ json: String) -> PodSecurityPod { pod("{\"spec\": \(json)}") }

    /// A pod that passes restricted: non-root, no escalation, ALL dropped, RuntimeDefault seccomp.
    static let restrictedSpec = """
        {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
         "containers": [{"name": "c", "image": "nginx", "securityContext": {"allowPrivilegeEscalation": false,
           "capabilities": {"drop": ["ALL"]}}}]}
        """
}
