public import KyvernAPI

/// Query options of a list (and of a watch's selection).
public struct ListOptions: Sendable, Hashable {
    /// e.g. `app=web,tier in (a,b)`.
    public var labelSelector: String?
    /// e.g. `spec.nodeName=node-1`.
    public var fieldSelector: String?
    /// Page size; the response's `metadata.continue` names the next page.
    public var limit: Int?
    /// The `metadata.continue` of the previous page.
    public var continueToken: String?
    /// For a watch, where to start; for a list, how fresh ("0": any cached state).
    public var resourceVersion: String?
    /// "NotOlderThan" or "Exact"; only meaningful with `resourceVersion`.
    public var resourceVersionMatch: String?
    /// How long the server keeps a watch open before ending it.
    public var timeoutSeconds: Int?
    /// Watch only: ask for BOOKMARK events, so a re-watch can resume from a recent resourceVersion
    /// even when nothing matching the selection changed.
    public var allowWatchBookmarks: Bool

    /// Options as named; all default to unset.
    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continueToken: String? = nil, resourceVersion: String? = nil,
                resourceVersionMatch: String? = nil, timeoutSeconds: Int? = nil, allowWatchBookmarks: Bool = false) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.timeoutSeconds = timeoutSeconds
        self.allowWatchBookmarks = allowWatchBookmarks
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit, limit > 0 { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch, resourceVersion != nil { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// Options shared by create, update and patch.
public struct WriteOptions: Sendable, Hashable {
    /// Identifies the writer in `managedFields`; required for apply.
    public var fieldManager: String?
    /// Validate and default without persisting (`dryRun=All`).
    /// Check and answer without deleting.
    public var dryRun: Bool
    /// "Strict", "Warn" or "Ignore".
    public var fieldValidation: String?

    /// Options as named; all default to unset.
    public init(fieldManager: String? = nil, dryRun: Bool = false, fieldValidation: String? = nil) {
        self.fieldManager = fieldManager
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if dryRun { items.append(("dryRun", "All")) }
        if let fieldManager, !fieldManager.isEmpty { items.append(("fieldManager", fieldManager)) }
        if let fieldValidation { items.append(("fieldValidation", fieldValidation)) }
        return items
    }
}

/// The four patch formats the API accepts, each with its own content type.
public enum PatchType: Sendable, Hashable {
    case json
    case merge
    case strategicMerge
    /// Server-side apply; `force` takes ownership of conflicting fields.
    case apply(force: Bool)

    /// The `Content-Type` the server reads the patch as.
    public var contentType: String {
        switch self {
        case .json: "application/json-patch+json"
        case .merge: "application/merge-patch+json"
        case .strategicMerge: "application/strategic-merge-patch+json"
        case .apply: "application/apply-patch+yaml"
        }
    }
}

/// The body of a DELETE: how long to wait, what must still hold, what happens to dependents.
public struct DeleteOptions: Sendable, Hashable {
    /// What happens to the object's dependents (see the garbage collector).
    public enum PropagationPolicy: String, Sendable, Hashable {
        case orphan = "Orphan"
        case background = "Background"
        case foreground = "Foreground"
    }

    /// Pods only: seconds the node gets to stop the containers (0: at once).
    public var gracePeriodSeconds: Int64?
    /// Delete only if the object still has this uid.
    public var preconditionUID: String?
    /// Delete only if the object is still at this resourceVersion.
    public var preconditionResourceVersion: String?
    /// nil: the server's default (background, or the object's own GC finalizer).
    public var propagationPolicy: PropagationPolicy?
    public var dryRun: Bool

    /// Options as named; all default to unset.
    public init(gracePeriodSeconds: Int64? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil, propagationPolicy: PropagationPolicy? = nil,
                dryRun: Bool = false) {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.propagationPolicy = propagationPolicy
        self.dryRun = dryRun
    }

    /// The `meta.k8s.io/v1 DeleteOptions` object sent as the request body.
    public var body: JSONValue {
        var o: [String: JSONValue] = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let gracePeriodSeconds { o["gracePeriodSeconds"] = .int(gracePeriodSeconds) }
        var pre: [String: JSONValue] = [:]
        if let preconditionUID { pre["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { pre["resourceVersion"] = .string(preconditionResourceVersion) }
        if !pre.isEmpty { o["preconditions"] = .object(pre) }
        if let propagationPolicy { o["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if dryRun { o["dryRun"] = ["All"] }
        return .object(o)
    }
}
