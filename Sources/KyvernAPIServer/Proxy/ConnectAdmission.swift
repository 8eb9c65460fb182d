import KyvernAPI

/// Admission for `pods/exec`, `pods/attach` and `pods/portforward`: upstream sends these to
/// webhooks and ValidatingAdmissionPolicies as a CONNECT of the pod's subresource, with the
/// request's options object (PodExecOptions, PodAttachOptions, PodPortForwardOptions) as
/// `object`, so a policy can refuse, say, an interactive shell in production pods.
struct ConnectAdmission: Sendable {
    var webhooks: WebhookDispatcher?
    var policies: ValidatingAdmissionPolicies?

    /// The options object upstream decodes from the query, by subresource.
    static func options(subresource: String, query: QueryParameters) -> JSONValue {
        var object: [String: JSONValue] = ["apiVersion": "v1"]
        switch subresource {
        case "portforward":
            object["kind"] = "PodPortForwardOptions"
            let ports = query.all("ports").flatMap { $0.split(separator: ",") }.compactMap { Int64($0) }
            if !ports.isEmpty { object["ports"] = .array(ports.map(JSONValue.int)) }
        default:
            object["kind"] = subresource == "exec" ? "PodExecOptions" : "PodAttachOptions"
            for flag in ["stdin", "stdout", "stderr", "tty"] where query.bool(flag) == true {
                object[flag] = true
            }
            if let container = query["container"], !container.isEmpty { object["container"] = .string(container) }
            if subresource == "exec" { object["command"] = .array(query.all("command").map(JSONValue.string)) }
        }
        return .object(object)
    }

    /// Runs the policies, then the mutating webhooks (a CONNECT has nothing they could change; they
    /// are called, as upstream calls them, and their patches are ignored), then the validating ones.
    /// - Throws: the first refusal, as upstream's 403 (or the webhook's own status).
    func admit(subresource: String, namespace: String, name: String, query: QueryParameters, user: UserInfo) async throws {
        guard webhooks != nil || policies != nil,
              let pods = ResourceCatalog.find(group: "", version: "v1", resource: "pods") else { return }
        let options = Self.options(subresource: subresource, query: query)
        var attributes = AdmissionAttributes(operation: .connect, info: pods, subresource: subresource, namespace: namespace,
                                             name: name, object: options, oldObject: nil, user: user, dryRun: false)
        attributes.kind = options["kind"]?.stringValue ?? ""
        attributes.kindGroup = ""
        attributes.kindVersion = "v1"
        if let policies { _ = try await policies.validate(attributes) }
        guard let webhooks, await webhooks.isConfigured else { return }
        _ = try await webhooks.mutate(attributes)
        _ = try await webhooks.validate(attributes)
    }
}
