import KyvernAPI
package import KyvernClient
package import Logging

/// Upstream's garbage collector over the ownerReferences graph: deletes dependents whose owners
/// are all gone, keeps a `foregroundDeletion` owner until its blocking dependents are gone, and
/// for an `orphan` owner strips its uid from the dependents before letting it go. Informer events
/// feed ``observe(_:resource:)``; the uids it returns are queued for ``process(uid:)``.
package actor GarbageCollector {
    static let foregroundFinalizer = "foregroundDeletion"
    static let orphanFinalizer = "orphan"

    enum OwnerState: Sendable, Equatable { case solid, dangling, waitingForDependents }

    struct UnknownOwnerKind: Error, CustomStringConvertible {
        var apiVersion: String
        var kind: String
        var description: String { "no watched resource for owner kind \(kind) in \(apiVersion)" }
    }

    let client: any KubernetesClient
    /// Every resource watched so far; grows as discovery finds new ones (``add(_:)``).
    private(set) var resources: [GCResource]
    let logger: Logger
    private(set) var graph = OwnerGraph()

    package init(client: any KubernetesClient, resources: [GCResource],
                 logger: Logger = Logger(label: "kyvern.controller.garbagecollector")) {
        self.client = client
        self.resources = resources
        self.logger = logger
    }

    /// Adds resources not watched yet (by group and resource); returns those added, for the
    /// caller to start watching.
    package func add(_ discovered: [GCResource]) -> [GCResource] {
        var known = Set(resources.map { "\($0.ref.group)/\($0.ref.resource)" })
        let added = discovered.filter { known.insert("\($0.ref.group)/\($0.ref.resource)").inserted }
        resources += added
        return added
    }

    // MARK: Graph upkeep

    /// Records an informer event; returns the uids that now need a look.
    package func observe(_ event: InformerEvent, resource: GCResource) -> [String] {
        switch event {
        case .added(let object), .updated(_, let object):
            let old = graph.upsert(object, resource: resource)
            guard let uid = object[path: ["metadata", "uid"]]?.stringValue, let node = graph[uid] else { return [] }
            var work: [String] = []
            if node.orphaning || node.waitsForDependents { work.append(uid) }
            if !node.deleting, node.owners.contains(where: { graph[$0.uid] == nil || graph[$0.uid]!.deleting }) {
                work.append(uid)
            }
            // An owner waiting for its dependents may be free once this one stopped naming it.
            let dropped = Set(old?.owners.map(\.uid) ?? []).subtracting(node.owners.map(\.uid))
            work += dropped.filter { graph[$0]?.waitsForDependents == true }.sorted()
            return work
        case .deleted(let object):
            guard let uid = object[path: ["metadata", "uid"]]?.stringValue,
                  let old = graph.remove(uid: uid) else { return [] }
            return graph.dependents(of: uid).map(\.uid)
                + old.owners.map(\.uid).filter { graph[$0]?.waitsForDependents == true }
        }
    }

    // MARK: Processing one object

    /// Acts on one object of the graph; returns uids to look at next (its dependents).
    package func process(uid: String) async throws -> [String] {
        guard let node = graph[uid] else { return [] }
        if node.orphaning {
            try await orphanDependents(of: node)
            return []
        }
        if node.waitsForDependents { return try await processDeletingDependents(node) }
        if node.deleting || node.owners.isEmpty { return [] }

        var solid: [OwnerReference] = []
        var dangling: [OwnerReference] = []
        var waiting: [OwnerReference] = []
        for owner in node.owners {
            switch try await state(of: owner, dependent: node) {
            case .solid: solid.append(owner)
            case .dangling: dangling.append(owner)
            case .waitingForDependents: waiting.append(owner)
            }
        }
        if !solid.isEmpty {
            let gone = Set((dangling + waiting).map(\.uid))
            if !gone.isEmpty {
                logger.debug("removing references to deleted owners", metadata: meta(node))
                try await rewriteOwnerReferences(of: node) { refs in
                    refs.filter { ref in !(ref["uid"]?.stringValue).map(gone.contains)! }
                }
            }
            return []
        }
        var policy = Self.policy(for: node)
        if !waiting.isEmpty, !graph.dependents(of: uid).isEmpty {
            // Owners waiting on this object must not wait on its own dependents' blocking flags.
            let waitingUIDs = Set(waiting.map(\.uid))
            try await rewriteOwnerReferences(of: node) { refs in
                refs.map { ref in
                    guard let refUID = ref["uid"]?.stringValue, waitingUIDs.contains(refUID),
                          ref["blockOwnerDeletion"] == .bool(true) else { return ref }
                    var unblocked = ref
                    unblocked["blockOwnerDeletion"] = .bool(false)
                    return unblocked
                }
            }
            policy = .foreground
        }
        logger.info("deleting object whose owners are gone", metadata: meta(node).merging(
            ["propagationPolicy": "\(policy.rawValue)"]) { $1 })
        do {
            try await client.delete(node.resource.ref, namespace: node.namespace, name: node.name,
                                    options: DeleteOptions(preconditionUID: node.uid, propagationPolicy: policy))
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Already gone, or replaced by a new object of the same name.
        }
        return []
    }

    /// The policy an object's own finalizers ask for when the collector deletes it.
    static func policy(for node: OwnerGraph.Node) -> DeleteOptions.PropagationPolicy {
        if node.finalizers.contains(orphanFinalizer) { return .orphan }
        if node.finalizers.contains(foregroundFinalizer) { return .foreground }
        return .background
    }

    /// Whether an owner still exists: from the graph, else from a live GET whose uid must match
    /// (a same-named object with another uid is a different owner, so the reference dangles).
    func state(of owner: OwnerReference, dependent: OwnerGraph.Node) async throws -> OwnerState {
        if let node = graph[owner.uid] { return node.waitsForDependents ? .waitingForDependents : .solid }
        let group = GCResource.group(ofAPIVersion: owner.apiVersion)
        guard let resource = resources.first(where: { $0.ref.group == group && $0.kind == owner.kind }) else {
            throw UnknownOwnerKind(apiVersion: owner.apiVersion, kind: owner.kind)
        }
        let live: JSONValue
        do {
            live = try await client.get(resource.ref, namespace: resource.ref.namespaced ? dependent.namespace : nil,
                                        name: owner.name)
        } catch let error as APIError where error.code == 404 {
            return .dangling
        }
        guard live[path: ["metadata", "uid"]]?.stringValue == owner.uid else { return .dangling }
        let finalizers = (live[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
        if live[path: ["metadata", "deletionTimestamp"]] != nil, finalizers.contains(Self.foregroundFinalizer) {
            return .waitingForDependents
        }
        return .solid
    }

    /// Foreground deletion: dependents are deleted; the owner's finalizer goes once none of the
    /// dependents that block it (`blockOwnerDeletion: true`) is left.
    func processDeletingDependents(_ owner: OwnerGraph.Node) async throws -> [String] {
        let dependents = graph.dependents(of: owner.uid)
        let blocking = dependents.filter { dependent in
            dependent.owners.contains { $0.uid == owner.uid && $0.blockOwnerDeletion }
        }
        if blocking.isEmpty {
            logger.info("dependents gone; removing foregroundDeletion finalizer", metadata: meta(owner))
            try await removeFinalizer(Self.foregroundFinalizer, from: owner)
            return []
        }
        return dependents.filter { !$0.deleting }.map(\.uid)
    }

    /// Orphaning: every dependent loses its reference to the owner, then the owner its finalizer.
    func orphanDependents(of owner: OwnerGraph.Node) async throws {
        for dependent in graph.dependents(of: owner.uid) {
            try await rewriteOwnerReferences(of: dependent) { refs in
                refs.filter { $0["uid"]?.stringValue != owner.uid }
            }
        }
        logger.info("dependents orphaned; removing orphan finalizer", metadata: meta(owner))
        try await removeFinalizer(Self.orphanFinalizer, from: owner)
    }

    // MARK: Writes

    /// Reads the live object (same uid) and merge-patches its ownerReferences, guarded by its
    /// resourceVersion; a vanished or replaced object is left alone.
    private func rewriteOwnerReferences(of node: OwnerGraph.Node,
                                        _ change: ([JSONValue]) -> [JSONValue]) async throws {
        guard let live = try await liveObject(node) else { return }
        let refs = live[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
        let next = change(refs)
        guard next != refs else { return }
        try await patchMetadata(node, live: live, field: "ownerReferences", next.isEmpty ? .null : .array(next))
    }

    private func removeFinalizer(_ finalizer: String, from node: OwnerGraph.Node) async throws {
        guard let live = try await liveObject(node) else { return }
        let finalizers = live[path: ["metadata", "finalizers"]]?.arrayValue ?? []
        let next = finalizers.filter { $0 != .string(finalizer) }
        guard next != finalizers else { return }
        try await patchMetadata(node, live: live, field: "finalizers", next.isEmpty ? .null : .array(next))
    }

    private func liveObject(_ node: OwnerGraph.Node) async throws -> JSONValue? {
        do {
            let live = try await client.get(node.resource.ref, namespace: node.namespace, name: node.name)
            return live[path: ["metadata", "uid"]]?.stringValue == node.uid ? live : nil
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    private func patchMetadata(_ node: OwnerGraph.Node, live: JSONValue, field: String, _ value: JSONValue) async throws {
        var metadata: [String: JSONValue] = [field: value]
        if let rv = live[path: ["metadata", "resourceVersion"]] { metadata["resourceVersion"] = rv }
        do {
            _ = try await client.patch(node.resource.ref, namespace: node.namespace, name: node.name, subresource: nil,
                                       type: .merge, ["metadata": .object(metadata)], options: WriteOptions())
        } catch let error as APIError where error.code == 404 {
            return
        }
    }

    private func meta(_ node: OwnerGraph.Node) -> Logger.Metadata {
        ["resource": "\(node.resource.ref)", "namespace": "\(node.namespace ?? "")", "name": "\(node.name)",
         "uid": "\(node.uid)"]
    }
}
