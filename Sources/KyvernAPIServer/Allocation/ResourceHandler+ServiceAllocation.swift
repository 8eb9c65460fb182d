import KyvernAPI
import Synchronization

/// The write path's hooks into Service allocation: reserve before a write, give back what the
/// write no longer uses once it succeeded, and everything reserved if it failed.
extension ResourceHandler {
    var serviceAllocator: ServiceAllocator { ServiceAllocator(ranges: serviceRanges, store: storage.store) }

    static func isService(_ info: ResourceInfo) -> Bool { info.group.isEmpty && info.resource == "services" }

    /// Reserves what a created or updated Service needs; nil for every other kind.
    func allocateServiceValues(_ object: inout JSONValue, old: JSONValue?, info: ResourceInfo,
                               dryRun: Bool) async throws -> ServiceAllocator.Transaction? {
        guard Self.isService(info) else { return nil }
        return try await serviceAllocator.allocate(&object, old: old, dryRun: dryRun)
    }

    /// Runs a write that follows an allocation: on success the values the Service dropped are
    /// released, on failure the ones just reserved.
    func finishing<T>(_ transaction: ServiceAllocator.Transaction?, _ write: () async throws -> T) async throws -> T {
        guard let transaction else { return try await write() }
        do {
            let result = try await write()
            await serviceAllocator.commit(transaction)
            return result
        } catch {
            await serviceAllocator.rollback(transaction)
            throw error
        }
    }

    /// Gives back the values of a Service that is gone from the store.
    func releaseAllocations(of deleted: JSONValue, info: ResourceInfo) async {
        guard Self.isService(info) else { return }
        await serviceAllocator.release(service: deleted)
    }
}

/// The allocations of a read-modify-write that the store may retry: each attempt's reservations
/// replace the previous attempt's, and the last one is committed or rolled back.
final class UpdateAllocations: Sendable {
    private let handler: ResourceHandler
    private let info: ResourceInfo
    private let dryRun: Bool
    private let current = Mutex<ServiceAllocator.Transaction?>(nil)

    init(handler: ResourceHandler, info: ResourceInfo, dryRun: Bool) {
        self.handler = handler
        self.info = info
        self.dryRun = dryRun
    }

    /// The transform followed by this attempt's allocation.
    func wrap(_ transform: @escaping (JSONValue) async throws -> JSONValue) -> (JSONValue) async throws -> JSONValue {
        guard ResourceHandler.isService(info) else { return transform }
        return { [self] old in
            var object = try await transform(old)
            if let previous = current.withLock({ $0.take() }) { await handler.serviceAllocator.rollback(previous) }
            let transaction = try await handler.allocateServiceValues(&object, old: old, info: info, dryRun: dryRun)
            current.withLock { $0 = transaction }
            return object
        }
    }

    func finish<T>(_ write: () async throws -> T) async throws -> T {
        do {
            let result = try await write()
            if let transaction = current.withLock({ $0.take() }) { await handler.serviceAllocator.commit(transaction) }
            return result
        } catch {
            if let transaction = current.withLock({ $0.take() }) { await handler.serviceAllocator.rollback(transaction) }
            throw error
        }
    }
}
