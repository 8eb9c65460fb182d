import Foundation
import KyvernAPI
import KyvernStore
import Logging

/// The one generic handler behind every served resource: get, list, watch, create, update,
/// patch, delete and deletecollection, configured per kind by `ResourceInfo` and `KindStrategy`.
struct ResourceHandler: Sendable {
    let storage: ObjectStorage
    let pruner: SchemaPruner
    let logger: Logger
    /// Where Services get cluster IPs and node ports (`--service-cidr`).
    var serviceRanges = ServiceRanges.default
    /// What the DefaultTolerationSeconds admission step adds to new pods.
    var defaultTolerationSeconds = DefaultTolerationSeconds()
    /// `--service-account-token-volume`: whether new pods get the token volume.
    var mountsServiceAccountTokenVolume = false
    /// Decides the checks admission makes beyond the request itself (RBAC escalation); nil when
    /// authorization is off.
    var authorizer: Authorizer?
    /// Mints ServiceAccount tokens for `serviceaccounts/token` (nil: the subresource is absent).
    var tokenIssuer: ServiceAccountTokenIssuer?
    /// The served resources, for what custom ones need beyond their `ResourceInfo` (schema,
    /// printer columns, scale paths); nil in tests that serve built-in resources only.
    var served: ServedResources?
    /// Calls a custom resource definition's conversion webhook (nil: objects keep their fields and
    /// only change `apiVersion`).
    var conversionWebhookPost: CustomResourceConverter.Post?
    /// Calls the admission webhooks configured in the cluster (nil: none are called).
    var admissionWebhooks: WebhookDispatcher?
    /// Evaluates the ValidatingAdmissionPolicies bound in the cluster (nil: none are).
    var admissionPolicies: ValidatingAdmissionPolicies?

    var cache: WatchCache { storage.cache }

    func handle(_ request: inout ResourceRequest) async throws -> Reply {
        if let dryRun = request.query["dryRun"], dryRun != "All" {
            throw APIError(code: 422, reason: "Invalid",
                           message: "Invalid dryRun: \"\(dryRun)\": supported values: \"All\"",
                           details: .init(causes: [.init(type: "FieldValueNotSupported",
                                                         message: "Unsupported value: \"\(dryRun)\": supported values: \"All\"",
                                                         field: "dryRun")]))
        }
        let target = request.target
        let info = request.info
        if info.namespaced == false, target.namespace != nil {
            throw APIError.notFound(group: info.group, resource: info.resource, name: target.name ?? "")
        }
        try admitCustomResourceRequest(&request)
        if EventConversion.isEventsV1(info), target.subresource == nil {
            return try await handleEventsV1(&request)
        }
        if AutoscalingV1Conversion.isV1(info) {
            return try await handleAutoscalingV1(&request)
        }
        if let sub = target.subresource {
            return try await handleSubresource(sub, &request)
        }
        switch (request.method, target.name) {
        case ("GET", nil):
            let options = try ListOptions(request.query)
            if options.watch { return try await watch(request, options: options) }
            try requireVerb("list", info)
            return try await list(request, options: options)
        case ("GET", let name?):
            if request.query.bool("watch") == true {
                var options = try ListOptions(request.query)
                options.fieldSelector = "metadata.name=\(name)"
                return try await watch(request, options: options)
            }
            try requireVerb("get", info)
            return try await get(request, name: name)
        case ("POST", nil) where info.group.isEmpty && info.resource == "bindings":
            let binding = try BodyDecoder.decode(request.body, contentType: request.contentType, what: "Binding")
            let podInfo = ResourceCatalog.find(group: "", version: "v1", resource: "pods")!
            return try await bindPod(request, info: podInfo, podName: binding[path: ["metadata", "name"]]?.stringValue ?? "",
                                     binding: binding)
        case ("POST", nil):
            try requireVerb("create", info)
            return try await create(&request)
        case ("PUT", let name?):
            try requireVerb("update", info)
            return try await update(&request, name: name)
        case ("PATCH", let name?):
            try requireVerb("patch", info)
            return try await patch(&request, name: name)
        case ("DELETE", let name?):
            try requireVerb("delete", info)
            return try await delete(request, name: name)
        case ("DELETE", nil):
            try requireVerb("deletecollection", info)
            return try await deleteCollection(request)
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    func requireVerb(_ verb: String, _ info: ResourceInfo) throws {
        guard info.verbs.contains(verb) else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    // MARK: reads

    func key(_ request: ResourceRequest, name: String) -> String {
        StorageKeys.key(request.info, namespace: request.namespace, name: name)
    }

    func get(_ request: ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        let rv = request.query["resourceVersion"].flatMap { $0.isEmpty ? nil : $0 }
        let found: CachedObject?
        if let rv, rv != "0" {
            guard let revision = Int64(rv) else { throw APIError.badRequest("invalid resource version \"\(rv)\"") }
            try await cache.waitUntil(revision: revision)
            found = await cache.get(key: key(request, name: name))
        } else if rv == "0" {
            found = await cache.get(key: key(request, name: name))
        } else {
            try await storage.syncCache()
            found = await cache.get(key: key(request, name: name))
        }
        guard let stored = found else { throw APIError.notFound(group: info.group, resource: info.resource, name: name) }
        let object = try await converted(stored, converter(info))
        if request.wantsTable {
            let include = try TableConverter.IncludeObject(query: request.query["includeObject"])
            return .bytes(TableConverter.table(for: [object], info: info, revision: String(object.modRevision),
                                               include: include, layout: tableLayout(info)))
        }
        return .bytes(object.bytes)
    }

    func list(_ request: ResourceRequest, options: ListOptions) async throws -> Reply {
        let info = request.info
        let filter = try ObjectFilter(options: options, strategy: filterStrategy(info))
        let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
        let prefix = StorageKeys.prefix(info, namespace: request.namespace)

        var token: ContinueToken?
        if let raw = options.continueToken { token = try ContinueToken.decode(raw, prefix: prefix) }

        // Which revision to read at, and whether the cache can serve it.
        var exactRevision: Int64?
        if let token {
            exactRevision = token.revision
        } else if let rv = options.resourceVersion, let revision = Int64(rv) {
            if options.resourceVersionMatch == "Exact" {
                exactRevision = revision
            } else if revision != 0 {
                try await cache.waitUntil(revision: revision)
            }
        } else {
            try await storage.syncCache()
        }

        var items: [CachedObject]
        var revision: Int64
        var more = false
        var nextKey: String?
        let limit = options.limit
        if let exact = exactRevision, await cache.revision != exact {
            // An older, consistent snapshot: read it from the store's history.
            (items, revision, more, nextKey) = try await listFromStore(prefix: prefix, startKey: token?.startKey,
                                                                       revision: exact, limit: limit, filter: filter)
        } else {
            let snapshot = await cache.list(bucket: bucket, keyPrefix: prefix, startKey: token?.startKey)
            revision = snapshot.revision
            if let exact = exactRevision { revision = exact }
            items = []
            items.reserveCapacity(min(snapshot.items.count, limit ?? Int.max))
            for (index, object) in snapshot.items.enumerated() {
                if let limit, items.count >= limit {
                    more = true
                    nextKey = snapshot.items[index].key
                    break
                }
                if filter.isEverything || filter.matches(object.object) { items.append(object) }
            }
        }

        let continueValue = more ? nextKey.map { ContinueToken(revision: revision, startKey: $0).encoded() } : nil
        items = try await converted(items, converter(info))
        if request.wantsTable {
            let include = try TableConverter.IncludeObject(query: request.query["includeObject"])
            return .bytes(TableConverter.table(for: items, info: info, revision: String(revision),
                                               continueToken: continueValue, include: include, layout: tableLayout(info)))
        }
        return .bytes(Self.listBytes(info: info, items: items.lazy.map(\.bytes), revision: revision, continueValue: continueValue))
    }

    private func listFromStore(prefix: String, startKey: String?, revision: Int64, limit: Int?,
                               filter: ObjectFilter) async throws -> ([CachedObject], Int64, Bool, String?) {
        var items: [CachedObject] = []
        var start = startKey ?? prefix
        while true {
            let page = try await storage.mapStoreErrors {
                try await storage.store.range(prefix: prefix, startKey: start, limit: limit.map { $0 + 1 }, revision: revision)
            }
            for kv in page.items {
                if let limit, items.count >= limit {
                    return (items, revision, true, kv.key)
                }
                let object = try CachedObject.decode(key: kv.key, value: kv.value, revision: kv.modRevision)
                if filter.isEverything || filter.matches(object.object) { items.append(object) }
            }
            guard page.more, let last = page.items.last else { return (items, revision, false, nil) }
            start = last.key + "\u{0}"
        }
    }

    /// `{"apiVersion":..,"kind":"XList","metadata":{..},"items":[..]}` assembled from cached bytes.
    static func listBytes(info: ResourceInfo, items: some Sequence<[UInt8]>, revision: Int64, continueValue: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: Array("{\"apiVersion\":\"\(info.groupVersion)\",\"kind\":\"\(info.listKind)\",\"metadata\":{\"resourceVersion\":\"\(revision)\"".utf8))
        if let continueValue {
            out.append(contentsOf: Array(",\"continue\":\"\(continueValue)\"".utf8))
        }
        out.append(contentsOf: Array("},\"items\":[".utf8))
        var first = true
        for bytes in items {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: bytes)
        }
        out.append(contentsOf: Array("]}".utf8))
        return out
    }
}
