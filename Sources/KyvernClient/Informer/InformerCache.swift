import DequeModule
import KyvernAPI

/// The informer's local copy of the resource, its indexes, its handlers, and the gate that keeps
/// one event's delivery from overlapping another's.
///
/// Every change costs O(number of indexers), never O(objects): the scheduler's pod informer sees
/// tens of thousands of events in seconds.
actor InformerCache {
    let isNamespaced: Bool
    private(set) var items: [String: JSONValue] = [:]
    /// Keys per namespace, always kept so a namespace's list needs no scan.
    private var byNamespace: [String: Set<String>] = [:]
    private var indexers: [String: Indexer]
    /// index name → index value → keys.
    private var indices: [String: [String: Set<String>]] = [:]
    private(set) var handlers: [@Sendable (InformerEvent) async -> Void] = []
    private var dispatching = false
    private var gateWaiters: Deque<CheckedContinuation<Void, Never>> = []

    init(namespaced: Bool, indexers: [String: Indexer]) {
        self.isNamespaced = namespaced
        self.indexers = indexers
        for name in indexers.keys { indices[name] = [:] }
    }

    func key(of object: JSONValue) -> String {
        let name = object.name ?? ""
        guard isNamespaced else { return name }
        return (object.namespace ?? "") + "/" + name
    }

    // MARK: the dispatch gate

    /// Waits until no other event is being applied and delivered, then holds the gate.
    func enter() async {
        if !dispatching {
            dispatching = true
            return
        }
        await withCheckedContinuation { gateWaiters.append($0) }
    }

    /// Hands the gate to the next waiter in arrival order.
    func leave() {
        if let next = gateWaiters.popFirst() {
            next.resume()
        } else {
            dispatching = false
        }
    }

    // MARK: changes

    /// Stores or replaces an object; returns what handlers should hear.
    func upsert(_ object: JSONValue) -> InformerEvent {
        let key = key(of: object)
        let old = items.updateValue(object, forKey: key)
        reindex(key: key, old: old, new: object)
        return old.map { .updated(old: $0, new: object) } ?? .added(object)
    }

    /// Removes an object; nil if it was not cached.
    func remove(_ object: JSONValue) -> InformerEvent? {
        let key = key(of: object)
        guard let old = items.removeValue(forKey: key) else { return nil }
        reindex(key: key, old: old, new: nil)
        return .deleted(object)
    }

    /// Makes the cache equal to a fresh list, returning the differences as events (objects whose
    /// resourceVersion is unchanged produce none).
    func replace(with listed: [JSONValue]) -> [InformerEvent] {
        var events: [InformerEvent] = []
        var seen = Set<String>()
        seen.reserveCapacity(listed.count)
        for object in listed {
            let key = key(of: object)
            seen.insert(key)
            if let old = items[key], old.resourceVersion == object.resourceVersion, old.resourceVersion != nil { continue }
            events.append(upsert(object))
        }
        for (key, old) in items where !seen.contains(key) {
            items[key] = nil
            reindex(key: key, old: old, new: nil)
            events.append(.deleted(old))
        }
        return events
    }

    private func reindex(key: String, old: JSONValue?, new: JSONValue?) {
        if isNamespaced {
            let oldNamespace = old?.namespace, newNamespace = new?.namespace
            if oldNamespace != newNamespace || new == nil {
                if let oldNamespace { remove(key, from: &byNamespace, value: oldNamespace) }
            }
            if let newNamespace { byNamespace[newNamespace, default: []].insert(key) }
        }
        for (name, indexer) in indexers {
            let before = old.map(indexer) ?? []
            let after = new.map(indexer) ?? []
            if before == after { continue }
            for value in before where !after.contains(value) { remove(key, from: &indices[name, default: [:]], value: value) }
            for value in after { indices[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private func remove(_ key: String, from index: inout [String: Set<String>], value: String) {
        index[value]?.remove(key)
        if index[value]?.isEmpty == true { index[value] = nil }
    }

    // MARK: indexers and handlers

    /// Adds indexers, building their indexes from what is cached.
    func addIndexers(_ more: [String: Indexer]) {
        for (name, indexer) in more {
            indexers[name] = indexer
            var index: [String: Set<String>] = [:]
            for (key, object) in items {
                for value in indexer(object) { index[value, default: []].insert(key) }
            }
            indices[name] = index
        }
    }

    /// Registers a handler; returns the objects it must first hear as added (the caller holds the gate).
    func addHandler(_ handler: @escaping @Sendable (InformerEvent) async -> Void) -> [JSONValue] {
        handlers.append(handler)
        return Array(items.values)
    }

    // MARK: reads

    func get(key: String) -> JSONValue? { items[key] }

    func list(namespace: String?) -> [JSONValue] {
        guard let namespace, isNamespaced else { return Array(items.values) }
        return (byNamespace[namespace] ?? []).compactMap { items[$0] }
    }

    func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        (indices[name]?[value] ?? []).compactMap { items[$0] }
    }

    func indexValues(_ name: String) -> [String] {
        Array(indices[name]?.keys ?? [:].keys)
    }

    var count: Int { items.count }
}
