import KyvernAPI

extension ResourceHandler {
    /// Starts a watch: from a resourceVersion (events after it; 410 when that history is gone),
    /// or from "now" with the current state sent first as ADDED events.
    func watch(_ request: ResourceRequest, options: ListOptions) async throws -> Reply {
        let info = request.info
        try requireVerb("watch", info)
        let filter = try ObjectFilter(options: options, strategy: filterStrategy(info))
        let table = request.wantsTable ? try TableConverter.IncludeObject(query: request.query["includeObject"]) : nil
        let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
        let prefix = StorageKeys.prefix(info, namespace: request.namespace)
        let requested = options.resourceVersion.flatMap { Int64($0) }
        let sendInitial = options.sendInitialEvents ?? (requested == nil || requested == 0)

        if let requested, requested > 0 {
            try await cache.waitUntil(revision: requested)
        } else if options.sendInitialEvents == true {
            try await storage.syncCache()
        }

        var initial: [CacheEvent] = []
        let start: (id: Int, events: AsyncStream<CacheEvent>)
        let startRevision: Int64
        if sendInitial {
            // Snapshot and subscription at one revision, inside the cache, so nothing falls between.
            let snapshot = try await cache.snapshotAndWatch(bucket: bucket, keyPrefix: prefix)
            startRevision = snapshot.revision
            start = (snapshot.id, snapshot.events)
            initial = snapshot.items.filter { filter.matches($0.object) }.map {
                CacheEvent(type: .added, object: $0, previous: nil)
            }
        } else {
            startRevision = requested ?? 0
            start = try await cache.watch(prefix: prefix, afterRevision: startRevision)
        }
        let timeout: Duration = options.timeoutSeconds.map { .seconds($0) } ?? .seconds(Int.random(in: 1800...3600))
        var response = WatchResponse(
            cache: cache, watcherID: start.id, events: start.events, initial: initial,
            initialEventsEndRevision: options.sendInitialEvents == true ? startRevision : nil,
            startRevision: startRevision, filter: filter, info: info, bookmarks: options.allowWatchBookmarks,
            timeout: timeout, table: table, bookmarkInterval: .seconds(5))
        if let converter = converter(info) {
            response.convert = { try await converter.convert([$0])[0] }
        }
        response.layout = tableLayout(info)
        return .watch(response)
    }
}
