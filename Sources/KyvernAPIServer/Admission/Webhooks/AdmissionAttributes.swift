import KyvernAPI

/// What admission knows about one write: upstream's `admission.Attributes`, as webhooks see it.
struct AdmissionAttributes: Sendable {
    enum Operation: String, Sendable, Hashable {
        case create = "CREATE"
        case update = "UPDATE"
        case delete = "DELETE"
        case connect = "CONNECT"

        /// The `kind` of the options object sent beside the request.
        var optionsKind: String {
            switch self {
            case .create: "CreateOptions"
            case .update: "UpdateOptions"
            case .delete: "DeleteOptions"
            case .connect: ""
            }
        }
    }

    var operation: Operation
    var group: String
    var version: String
    /// The version the client used, when a webhook is sent the request in another one (matchPolicy Equivalent).
    var requestVersion: String?
    var kind: String
    /// The group and version of `kind` when they differ from the resource's (a `scale` subresource
    /// is an autoscaling/v1 Scale).
    var kindGroup: String?
    var kindVersion: String?
    var resource: String
    var subresource: String
    var namespace: String
    var name: String
    /// The new object (nil for DELETE and CONNECT).
    var object: JSONValue?
    /// The stored object (UPDATE and DELETE).
    var oldObject: JSONValue?
    var user: UserInfo
    var dryRun: Bool
    /// The request's create/update/delete options, sent as `request.options`.
    var options: JSONValue?

    init(operation: Operation, info: ResourceInfo, subresource: String?, namespace: String?, name: String,
         object: JSONValue?, oldObject: JSONValue?, user: UserInfo, dryRun: Bool, options: JSONValue? = nil) {
        self.operation = operation
        group = info.group
        version = info.version
        kind = info.kind
        resource = info.resource
        self.subresource = subresource ?? ""
        self.namespace = namespace ?? ""
        self.name = name
        self.object = object
        self.oldObject = oldObject
        self.user = user
        self.dryRun = dryRun
        self.options = options
    }

    /// Upstream never calls webhooks for the objects that configure admission itself, so a broken
    /// webhook can always be removed.
    var isAdmissionConfiguration: Bool {
        group == "admissionregistration.k8s.io" && [
            "validatingwebhookconfigurations", "mutatingwebhookconfigurations",
            "validatingadmissionpolicies", "validatingadmissionpolicybindings",
            "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
        ].contains(resource)
    }
}
