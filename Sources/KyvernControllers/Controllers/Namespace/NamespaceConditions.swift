import Foundation
import KyvernAPI

/// The status conditions upstream's namespace controller keeps on a terminating namespace,
/// worded as upstream: each type is False with an "all is well" reason until something fails
/// or remains.
struct NamespaceConditions: Sendable, Equatable {
    var discoveryFailures: [String] = []
    var contentFailures: [String] = []
    /// "pods." → 2: what is left per group/resource.
    var remaining: [String: Int] = [:]
    /// finalizer → how many remaining objects carry it.
    var finalizersRemaining: [String: Int] = [:]

    static let types = [
        "NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
        "NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining",
    ]

    static let okReasons = [
        "NamespaceDeletionDiscoveryFailure": "ResourcesDiscovered",
        "NamespaceDeletionGroupVersionParsingFailure": "ParsedGroupVersions",
        "NamespaceDeletionContentFailure": "ContentDeleted",
        "NamespaceContentRemaining": "ContentRemoved",
        "NamespaceFinalizersRemaining": "ContentRemoved",
    ]

    static let okMessages = [
        "NamespaceDeletionDiscoveryFailure": "All resources successfully discovered",
        "NamespaceDeletionGroupVersionParsingFailure": "All legacy kube types successfully parsed",
        "NamespaceDeletionContentFailure": "All content successfully deleted, may be waiting on finalization",
        "NamespaceContentRemaining": "All content successfully removed",
        "NamespaceFinalizersRemaining": "All content successfully removed",
    ]

    /// Nothing failed and nothing is left: the namespace may be finalized.
    var isDone: Bool { discoveryFailures.isEmpty && contentFailures.isEmpty && remaining.isEmpty }

    /// (status, reason, message) of one condition type.
    func condition(_ type: String) -> (status: String, reason: String, message: String) {
        switch type {
        case "NamespaceDeletionDiscoveryFailure" where !discoveryFailures.isEmpty:
            return ("True", "DiscoveryFailed", discoveryFailures.sorted().joined(separator: ", "))
        case "NamespaceDeletionContentFailure" where !contentFailures.isEmpty:
            return ("True", "ContentDeletionFailed",
                    "Failed to delete all resource types, \(contentFailures.count) remaining: \(contentFailures.sorted().joined(separator: ", "))")
        case "NamespaceContentRemaining" where !remaining.isEmpty:
            let parts = remaining.filter { $0.value > 0 }.map { "\($0.key) has \($0.value) resource instances" }.sorted()
            return ("True", "SomeResourcesRemain", "Some resources are remaining: \(parts.joined(separator: ", "))")
        case "NamespaceFinalizersRemaining" where !finalizersRemaining.isEmpty:
            let parts = finalizersRemaining.filter { $0.value > 0 }.map { "\($0.key) in \($0.value) resource instances" }.sorted()
            return ("True", "SomeFinalizerRemain", "Some finalizers are remaining: \(parts.joined(separator: ", "))")
        default:
            return ("False", Self.okReasons[type] ?? "", Self.okMessages[type] ?? "")
        }
    }

    /// The namespace's conditions with these applied; the transition time moves only when a
    /// condition's status changes, as upstream.
    func apply(to existing: [JSONValue], now: Date) -> [JSONValue] {
        var conditions = existing
        let timestamp = JSONValue.string(Timestamp.format(now))
        for type in Self.types {
            let (status, reason, message) = condition(type)
            if let index = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) {
                var old = conditions[index]
                if old["status"]?.stringValue != status { old["lastTransitionTime"] = timestamp }
                old["status"] = .string(status)
                old["reason"] = .string(reason)
                old["message"] = .string(message)
                conditions[index] = old
            } else {
                conditions.append(["type": .string(type), "status": .string(status), "lastTransitionTime": timestamp,
                                   "reason": .string(reason), "message": .string(message)])
            }
        }
        return conditions
    }
}
