import Foundation
import KyvernAPI

/// `PodLogOptions` from the query, checked as upstream validates them, and re-encoded for the
/// agent's `/containerLogs` path.
struct PodLogQuery: Sendable, Hashable {
    var follow = false
    var previous = false
    var timestamps = false
    var tailLines: Int64?
    var sinceSeconds: Int64?
    var sinceTime: String?
    var limitBytes: Int64?

    init(_ query: QueryParameters) throws {
        follow = query.bool("follow") ?? false
        previous = query.bool("previous") ?? false
        timestamps = query.bool("timestamps") ?? false
        func integer(_ name: String) throws -> Int64? {
            guard let text = query[name] else { return nil }
            guard let value = Int64(text) else { throw APIError.badRequest("invalid value \"\(text)\" for \(name)") }
            return value
        }
        tailLines = try integer("tailLines")
        sinceSeconds = try integer("sinceSeconds")
        limitBytes = try integer("limitBytes")
        sinceTime = query["sinceTime"]
        var causes: [APIError.Cause] = []
        if let tailLines, tailLines < 0 { causes.append(.invalid("tailLines", .int(tailLines), "must be greater than or equal to 0")) }
        if let limitBytes, limitBytes < 1 { causes.append(.invalid("limitBytes", .int(limitBytes), "must be greater than 0")) }
        if sinceSeconds != nil && sinceTime != nil { causes.append(.forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified")) }
        if let sinceSeconds, sinceSeconds < 1 { causes.append(.invalid("sinceSeconds", .int(sinceSeconds), "must be greater than 0")) }
        if !causes.isEmpty { throw APIError.invalid(group: "", kind: "PodLogOptions", name: "", causes: causes) }
    }

    var agentQuery: String {
        var items: [String] = []
        if follow { items.append("follow=true") }
        if previous { items.append("previous=true") }
        if timestamps { items.append("timestamps=true") }
        if let sinceSeconds { items.append("sinceSeconds=\(sinceSeconds)") }
        if let sinceTime { items.append("sinceTime=\(PodStreamingProxy.escape(sinceTime))") }
        if let tailLines { items.append("tailLines=\(tailLines)") }
        if let limitBytes { items.append("limitBytes=\(limitBytes)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }
}
