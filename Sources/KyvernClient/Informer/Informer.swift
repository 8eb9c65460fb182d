import KyvernAPI
public import Logging

/// Lists one resource, then watches it from the list's resourceVersion, keeping a local cache
/// that handlers and listers read instead of asking the server.
///
/// Upstream's reflector and shared informer, shrunk to what components need:
/// - a watch that ends normally (server timeout) resumes from the last resourceVersion seen
///   (bookmarks keep it fresh even when nothing selected changes);
/// - a 410 Expired or any watch or list error makes it list again, after a backoff for errors,
///   and deliver only the difference to its handlers, so they stay consistent without replaying
///   everything;
/// - the cache is updated before the handlers hear of a change, and handlers are called in
///   registration order, each awaited, one event at a time;
/// - with a resync period, every cached object is re-delivered as `updated(old: x, new: x)`.
public final class Informer: Sendable {
    /// What this informer lists and watches.
    public let resource: ResourceRef
    /// The one namespace watched, or nil for all (and for cluster-scoped resources).
    public let namespace: String?
    let client: any KubernetesClient
    let labelSelector: String?
    let fieldSelector: String?
    let resyncPeriod: Duration?
    let logger: Logger
    let cache: InformerCache
    let synced = SyncSignal()
    /// Delays before re-listing after an error: doubled per failure from `initialBackoff` up to
    /// `maxBackoff`, reset once a watch delivered something.
    let initialBackoff: Duration
    let maxBackoff: Duration

    /// An informer that does nothing until ``run()``; selectors narrow what is cached.
    public convenience init(client: any KubernetesClient, resource: ResourceRef, namespace: String? = nil,
                labelSelector: String? = nil, fieldSelector: String? = nil, resyncPeriod: Duration? = nil,
                indexers: [String: Indexer] = [:], logger: Logger = Logger(label: "kyvern.informer")) {
        self.init(client: client, resource: resource, namespace: namespace, labelSelector: labelSelector,
                  fieldSelector: fieldSelector, resyncPeriod: resyncPeriod, indexers: indexers, logger: logger,
                  initialBackoff: .milliseconds(800), maxBackoff: .seconds(30))
    }

    init(client: any KubernetesClient, resource: ResourceRef, namespace: String?, labelSelector: String?,
         fieldSelector: String?, resyncPeriod: Duration?, indexers: [String: Indexer], logger: Logger,
         initialBackoff: Duration, maxBackoff: Duration) {
        self.client = client
        self.resource = resource
        self.namespace = resource.namespaced ? namespace : nil
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resyncPeriod = resyncPeriod
        var logger = logger
        logger[metadataKey: "resource"] = "\(resource)"
        self.logger = logger
        self.cache = InformerCache(namespaced: resource.namespaced, indexers: indexers)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// Reads of the cache.
    public var lister: Lister { Lister(cache: cache) }

    /// Whether the first list has been delivered to the handlers.
    public var hasSynced: Bool { synced.isOpen }

    /// Returns once the first list has been delivered to the handlers (or the waiting task is cancelled).
    public func waitForSync() async {
        await synced.wait()
    }

    /// Adds a handler. One added after objects were cached first hears `added` for each of them,
    /// before any later event, so it never misses or double-counts an object.
    public func addHandler(_ handler: @escaping @Sendable (InformerEvent) async -> Void) async {
        await cache.enter()
        let existing = await cache.addHandler(handler)
        for object in existing { await handler(.added(object)) }
        await cache.leave()
    }

    /// Adds indexers (also after the informer started: their indexes are built from the cache).
    public func addIndexers(_ indexers: [String: Indexer]) async {
        await cache.addIndexers(indexers)
    }

    /// Lists and watches until the task is cancelled; a child task of the component.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.listAndWatch() }
            if let resyncPeriod {
                group.addTask { await self.resyncLoop(every: resyncPeriod) }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    // MARK: delivery

    /// Applies changes to the cache and tells the handlers, holding the gate so deliveries never
    /// interleave (with each other or with a new handler's catch-up).
    private func deliver(_ change: (InformerCache) async -> [InformerEvent]) async {
        await cache.enter()
        let events = await change(cache)
        if !events.isEmpty {
            let handlers = await cache.handlers
            for event in events {
                for handler in handlers { await handler(event) }
            }
        }
        await cache.leave()
    }

    private func resyncLoop(every period: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
            await synced.wait()
            if Task.isCancelled { return }
            await deliver { cache in
                await cache.items.values.map { InformerEvent.updated(old: $0, new: $0) }
            }
        }
    }

    // MARK: list and watch

    private var listOptions: ListOptions {
        ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, limit: 500)
    }

    /// The reflector loop: list, watch until the watch fails, list again.
    private func listAndWatch() async {
        var backoff = initialBackoff
        var failed = false
        while !Task.isCancelled {
            if failed {
                do {
                    try await Task.sleep(for: backoff)
                } catch {
                    return
                }
                backoff = min(backoff * 2, maxBackoff)
            }
            failed = true
            let revision: String
            do {
                let list = try await client.listAll(resource, namespace: namespace, options: listOptions)
                revision = list[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
                let items = list["items"]?.arrayValue ?? []
                await deliver { await $0.replace(with: items) }
                if !synced.isOpen {
                    logger.debug("informer synced", metadata: ["objects": "\(items.count)", "resourceVersion": "\(revision)"])
                    synced.open()
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("list failed; retrying", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
                continue
            }
            switch await watch(from: revision) {
            case .cancelled:
                return
            case .expired:
                // Normal on a busy cluster: list again at once.
                logger.debug("watch expired; listing again")
                failed = false
                backoff = initialBackoff
            case .failed(let error, let progressed):
                logger.warning("watch failed; listing again", metadata: ["error": "\(error)", "backoff": "\(backoff)"])
                if progressed { backoff = initialBackoff }
            }
        }
    }

    private enum WatchEnd {
        case cancelled
        case expired
        case failed(any Error, progressed: Bool)
    }

    /// Watches from `revision`, re-watching from the latest revision seen each time the server
    /// ends the watch, until the watch fails or the task is cancelled.
    private func watch(from revision: String) async -> WatchEnd {
        var revision = revision
        var progressed = false
        while !Task.isCancelled {
            var options = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector,
                                      resourceVersion: revision, allowWatchBookmarks: true)
            // Spread reconnects of many informers over time, as upstream does (5 to 10 minutes).
            options.timeoutSeconds = Int.random(in: 300...600)
            do {
                let events = try await client.watch(resource, namespace: namespace, options: options)
                for try await event in events {
                    switch event {
                    case .added(let object), .modified(let object):
                        await deliver { [await $0.upsert(object)] }
                        revision = object.resourceVersion ?? revision
                    case .deleted(let object):
                        await deliver { await $0.remove(object).map { [$0] } ?? [] }
                        revision = object.resourceVersion ?? revision
                    case .bookmark(let object):
                        revision = object.resourceVersion ?? revision
                    case .error(let status):
                        if status.code == 410 { return .expired }
                        return .failed(status, progressed: progressed)
                    }
                    progressed = true
                }
            } catch WatchError.expired {
                return .expired
            } catch let error as APIError where error.code == 410 {
                return .expired
            } catch {
                if Task.isCancelled { return .cancelled }
                return .failed(error, progressed: progressed)
            }
        }
        return .cancelled
    }
}
