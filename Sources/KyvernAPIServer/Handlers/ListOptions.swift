import KyvernAPI

/// The list and watch parameters of a request, validated once.
struct ListOptions: Sendable {
    var labelSelector: String?
    var fieldSelector: String?
    var limit: Int?
    var continueToken: String?
    var resourceVersion: String?
    var resourceVersionMatch: String?
    var watch: Bool
    var allowWatchBookmarks: Bool
    var timeoutSeconds: Int?
    var sendInitialEvents: Bool?

    init(_ query: QueryParameters) throws {
        labelSelector = query["labelSelector"].flatMap { $0.isEmpty ? nil : $0 }
        fieldSelector = query["fieldSelector"].flatMap { $0.isEmpty ? nil : $0 }
        if let raw = query["limit"], !raw.isEmpty {
            guard let value = Int(raw), value >= 0 else {
                throw APIError.badRequest("limit: Invalid value: \"\(raw)\": must be a non-negative integer")
            }
            limit = value == 0 ? nil : value
        }
        continueToken = query["continue"].flatMap { $0.isEmpty ? nil : $0 }
        resourceVersion = query["resourceVersion"].flatMap { $0.isEmpty ? nil : $0 }
        resourceVersionMatch = query["resourceVersionMatch"].flatMap { $0.isEmpty ? nil : $0 }
        watch = query.bool("watch") ?? false
        allowWatchBookmarks = query.bool("allowWatchBookmarks") ?? false
        if let raw = query["timeoutSeconds"], !raw.isEmpty {
            guard let value = Int(raw), value >= 0 else {
                throw APIError.badRequest("timeoutSeconds: Invalid value: \"\(raw)\": must be a non-negative integer")
            }
            timeoutSeconds = value
        }
        sendInitialEvents = query.bool("sendInitialEvents")
        try validate()
    }

    /// Upstream's combination rules (ValidateListOptions).
    private func validate() throws {
        if let match = resourceVersionMatch {
            guard match == "NotOlderThan" || match == "Exact" else {
                throw invalid("resourceVersionMatch", match, "supported values: \"Exact\", \"NotOlderThan\", \"\"")
            }
            if watch && sendInitialEvents == nil {
                throw invalid("resourceVersionMatch", match, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided")
            }
            if resourceVersion == nil && !(watch && sendInitialEvents != nil) {
                throw invalid("resourceVersionMatch", match, "resourceVersionMatch is forbidden unless resourceVersion is provided")
            }
            if continueToken != nil {
                throw invalid("resourceVersionMatch", match, "resourceVersionMatch is forbidden when continue is provided")
            }
            if match == "Exact" && resourceVersion == "0" {
                throw invalid("resourceVersionMatch", match, "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")
            }
        }
        if watch, let match = resourceVersionMatch, match != "NotOlderThan" {
            throw invalid("resourceVersionMatch", match, "resourceVersionMatch is forbidden for watch unless set to NotOlderThan")
        }
        if sendInitialEvents != nil {
            if !watch {
                throw invalid("sendInitialEvents", "\(sendInitialEvents!)", "sendInitialEvents is forbidden for list")
            }
            if resourceVersionMatch != "NotOlderThan" {
                throw invalid("resourceVersionMatch", resourceVersionMatch ?? "",
                              "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
            }
            if !allowWatchBookmarks {
                throw invalid("allowWatchBookmarks", "false", "sendInitialEvents requires setting allowWatchBookmarks to true")
            }
        }
        if continueToken != nil, let rv = resourceVersion, rv != "0" {
            throw invalid("resourceVersion", rv, "specifying resource version is not allowed when using continue")
        }
        if let rv = resourceVersion, Int64(rv) == nil {
            throw APIError.badRequest("invalid resource version \"\(rv)\"")
        }
    }

    private func invalid(_ field: String, _ value: String, _ message: String) -> APIError {
        APIError(code: 422, reason: "Invalid",
                 message: "ListOptions.meta.k8s.io \"\" is invalid: \(field): Invalid value: \"\(value)\": \(message)",
                 details: .init(group: "meta.k8s.io", kind: "ListOptions",
                                causes: [.init(type: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(message)", field: field)]))
    }
}
