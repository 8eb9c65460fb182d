import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Empties one terminating namespace through the API, as upstream's namespace controller does:
/// deletes every object of every namespaced resource (background propagation), records what
/// failed or remains in the namespace's conditions, and once nothing remains removes the
/// `kubernetes` finalizer through `namespaces/<name>/finalize`, which lets the server delete it.
struct NamespaceContentDeleter: Sendable {
    static let finalizer = "kubernetes"

    let client: any KubernetesClient
    /// The namespaced resources that can be listed and deleted (from discovery), and the group
    /// versions discovery could not read (which keep the namespace from being finalized).
    let resources: @Sendable () async throws -> (refs: [ResourceRef], failures: [String])
    let logger: Logger

    /// Whether the namespace still waits for its content (the caller retries it later).
    enum Outcome: Sendable, Equatable { case finalized, waiting, notTerminating }

    func sync(namespace name: String) async throws -> Outcome {
        let namespace: JSONValue
        do {
            namespace = try await client.get(.namespaces, namespace: nil, name: name)
        } catch let error as APIError where error.code == 404 {
            return .notTerminating
        }
        guard namespace[path: ["metadata", "deletionTimestamp"]] != nil,
              Self.specFinalizers(namespace).contains(Self.finalizer) else { return .notTerminating }

        var conditions = NamespaceConditions()
        var refs: [ResourceRef] = []
        do {
            let found = try await resources()
            refs = found.refs
            conditions.discoveryFailures += found.failures
        } catch {
            conditions.discoveryFailures.append("\(error)")
        }
        let options = DeleteOptions(propagationPolicy: .background)
        for ref in refs {
            do {
                for object in try await items(ref, namespace: name) {
                    guard object[path: ["metadata", "deletionTimestamp"]] == nil,
                          let objectName = object[path: ["metadata", "name"]]?.stringValue else { continue }
                    do {
                        try await client.delete(ref, namespace: name, name: objectName, options: options)
                    } catch let error as APIError where error.code == 404 {
                        continue
                    }
                }
            } catch {
                conditions.contentFailures.append("\(Self.groupResource(ref)): \(error)")
            }
        }
        for ref in refs {
            guard let left = try? await items(ref, namespace: name), !left.isEmpty else { continue }
            conditions.remaining["\(ref.resource).\(ref.group)", default: 0] += left.count
            for object in left {
                for finalizer in (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue) {
                    conditions.finalizersRemaining[finalizer, default: 0] += 1
                }
            }
        }

        var updated = namespace
        let existing = namespace[path: ["status", "conditions"]]?.arrayValue ?? []
        let next = conditions.apply(to: existing, now: Date())
        if !Self.sameConditions(existing, next) {
            updated[path: ["status", "conditions"]] = .array(next)
            updated = try await client.updateStatus(.namespaces, namespace: nil, updated, options: WriteOptions())
        }
        guard conditions.isDone else { return .waiting }
        updated[path: ["spec", "finalizers"]] = .array(Self.specFinalizers(updated).filter { $0 != Self.finalizer }.map(JSONValue.string))
        _ = try await client.updateSubresource(.namespaces, namespace: nil, name: name, subresource: "finalize",
                                               updated, options: WriteOptions())
        logger.info("namespace content removed; finalized", metadata: ["namespace": "\(name)"])
        return .finalized
    }

    private func items(_ ref: ResourceRef, namespace: String) async throws -> [JSONValue] {
        try await client.list(ref, namespace: namespace, options: ListOptions())["items"]?.arrayValue ?? []
    }

    static func specFinalizers(_ namespace: JSONValue) -> [String] {
        (namespace[path: ["spec", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func groupResource(_ ref: ResourceRef) -> String {
        ref.group.isEmpty ? ref.resource : "\(ref.resource).\(ref.group)"
    }

    /// Equal apart from transition times, so an unchanged status is not written again.
    static func sameConditions(_ a: [JSONValue], _ b: [JSONValue]) -> Bool {
        func strip(_ list: [JSONValue]) -> [JSONValue] {
            list.map { condition in
                var c = condition
                c["lastTransitionTime"] = nil
                return c
            }
        }
        return a.count == b.count && strip(a) == strip(b)
    }
}
