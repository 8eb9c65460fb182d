public import KyvernAPI
public import KyvernClient
public import Logging

/// A change to a watched object, with the previous version on updates.
public enum ResourceEvent: Sendable {
    case added(JSONValue)
    case updated(old: JSONValue, new: JSONValue)
    case deleted(JSONValue)
}

/// Lists one resource, then watches it from the list's resourceVersion, delivering every change
/// to a handler in order — a minimal informer for the scheduler.
///
/// It keeps the last version of each object, so a re-list after a lost watch (410, a dropped
/// connection, a server not up yet) is turned into the adds, updates and deletes that happened
/// meanwhile. Failures are retried with backoff until the task is cancelled.
public struct ListWatch: Sendable {
    let client: any KubernetesClient
    let resource: ResourceRef
    let logger: Logger

    public init(client: any KubernetesClient, resource: ResourceRef, logger: Logger) {
        self.client = client
        self.resource = resource
        self.logger = logger
    }

    /// Runs until cancelled; `synced` is called once, after the first list was delivered.
    public func run(handler: @escaping @Sendable (ResourceEvent) async -> Void,
                    synced: @escaping @Sendable () async -> Void) async {
        var known: [String: JSONValue] = [:]
        var didSync = false
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                var resourceVersion = try await relist(into: &known, handler: handler)
                if !didSync {
                    didSync = true
                    await synced()
                }
                delay = .milliseconds(200)
                while !Task.isCancelled {
                    let events = try await client.watch(resource, namespace: nil, options: ListOptions(
                        resourceVersion: resourceVersion, timeoutSeconds: 300))
                    for try await event in events {
                        if Task.isCancelled { return }
                        if let rv = try await apply(event, to: &known, handler: handler) { resourceVersion = rv }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.debug("list/watch failed, retrying", metadata: ["resource": "\(resource)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Lists every page and delivers the difference to what was known; returns the list's
    /// resourceVersion.
    private func relist(into known: inout [String: JSONValue],
                        handler: @Sendable (ResourceEvent) async -> Void) async throws -> String {
        var items: [String: JSONValue] = [:]
        var options = ListOptions(limit: 500)
        var resourceVersion = ""
        while true {
            let page = try await client.list(resource, namespace: nil, options: options)
            for item in page["items"]?.arrayValue ?? [] { items[Self.key(item)] = item }
            resourceVersion = page[path: ["metadata", "resourceVersion"]]?.stringValue ?? resourceVersion
            guard let next = page[path: ["metadata", "continue"]]?.stringValue, !next.isEmpty else { break }
            options.continueToken = next
        }
        for (key, old) in known where items[key] == nil { await handler(.deleted(old)) }
        for (key, item) in items {
            if let old = known[key] {
                if Self.resourceVersion(old) != Self.resourceVersion(item) { await handler(.updated(old: old, new: item)) }
            } else {
                await handler(.added(item))
            }
        }
        known = items
        return resourceVersion
    }

    /// Applies one watch event; returns the resourceVersion to resume from.
    private func apply(_ event: WatchEvent, to known: inout [String: JSONValue],
                       handler: @Sendable (ResourceEvent) async -> Void) async throws -> String? {
        switch event {
        case .added(let object), .modified(let object):
            let key = Self.key(object)
            if let old = known[key] {
                await handler(.updated(old: old, new: object))
            } else {
                await handler(.added(object))
            }
            known[key] = object
            return Self.resourceVersion(object)
        case .deleted(let object):
            if let old = known.removeValue(forKey: Self.key(object)) {
                _ = old
                await handler(.deleted(object))
            }
            return Self.resourceVersion(object)
        case .bookmark(let object):
            return Self.resourceVersion(object)
        case .error(let error):
            throw error
        }
    }

    static func key(_ object: JSONValue) -> String {
        NodeInfo.key(of: object)
    }

    static func resourceVersion(_ object: JSONValue) -> String? {
        object[path: ["metadata", "resourceVersion"]]?.stringValue
    }
}
