import Foundation
import KyvernAPI

/// The pod fields the downward API exposes through `fieldRef`, as upstream's kubelet reads them.
///
/// Volumes see only metadata; env also sees the node, service account and IPs, which the agent
/// knows before the pod's status says so (`RuntimeFields`).
enum PodFieldPath {
    /// What env's `fieldRef` adds to metadata, known to the agent at container start.
    struct RuntimeFields: Sendable {
        var nodeName: String
        var hostIPs: [String]
        var podIPs: [String]
    }

    /// `fieldRef.fieldPath` for an env var: the node, service account, IPs or metadata.
    static func envValue(_ fieldPath: String, pod: JSONValue, runtime: RuntimeFields) throws(DownwardAPIError) -> String {
        switch fieldPath {
        case "spec.nodeName":
            return pod[path: ["spec", "nodeName"]]?.stringValue ?? runtime.nodeName
        case "spec.serviceAccountName":
            return pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? ""
        case "status.hostIP":
            return runtime.hostIPs.first ?? ""
        case "status.hostIPs":
            return runtime.hostIPs.joined(separator: ",")
        case "status.podIP":
            return runtime.podIPs.first ?? ""
        case "status.podIPs":
            return runtime.podIPs.joined(separator: ",")
        case "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
             "spec.restartPolicy", "spec.schedulerName", "status.phase":
            return try metadataValue(fieldPath, pod: pod)
        default:
            if subscripted(fieldPath) != nil { return try metadataValue(fieldPath, pod: pod) }
            throw DownwardAPIError("field label not supported: \(fieldPath)")
        }
    }

    /// `fieldRef.fieldPath` for a downwardAPI volume file: metadata only (upstream's
    /// `ExtractFieldPathAsString`).
    static func metadataValue(_ fieldPath: String, pod: JSONValue) throws(DownwardAPIError) -> String {
        let metadata = pod["metadata"]
        if let (path, key) = subscripted(fieldPath) {
            switch path {
            case "metadata.annotations": return metadata?[path: ["annotations", key]]?.stringValue ?? ""
            case "metadata.labels": return metadata?[path: ["labels", key]]?.stringValue ?? ""
            default: throw DownwardAPIError("fieldPath \"\(fieldPath)\" does not support subscript")
            }
        }
        switch fieldPath {
        case "metadata.annotations": return formatMap(metadata?["annotations"])
        case "metadata.labels": return formatMap(metadata?["labels"])
        case "metadata.name": return metadata?["name"]?.stringValue ?? ""
        case "metadata.namespace": return metadata?["namespace"]?.stringValue ?? ""
        case "metadata.uid": return metadata?["uid"]?.stringValue ?? ""
        default: throw DownwardAPIError("unsupported fieldPath: \(fieldPath)")
        }
    }

    /// `metadata.labels['key']` → (`metadata.labels`, `key`).
    static func subscripted(_ fieldPath: String) -> (String, String)? {
        guard fieldPath.hasSuffix("']") else { return nil }
        let trimmed = fieldPath.dropLast(2)
        guard let open = trimmed.range(of: "['") else { return nil }
        let path = String(trimmed[..<open.lowerBound])
        guard !path.isEmpty else { return nil }
        return (path, String(trimmed[open.upperBound...]))
    }

    /// `key="value"` lines in key order, values quoted as Go's `%q` does.
    static func formatMap(_ map: JSONValue?) -> String {
        let entries = map?.objectValue ?? [:]
        return entries.keys.sorted().map { key in
            "\(key)=\(GoQuote.quote(entries[key]?.stringValue ?? ""))"
        }.joined(separator: "\n")
    }
}

/// A downward API reference the kubelet cannot resolve (upstream's wording).
struct DownwardAPIError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
