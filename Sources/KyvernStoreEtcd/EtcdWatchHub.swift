import Foundation
import GRPCCore
public import KyvernStore
import Logging
import Synchronization

/// Every watch of one store, multiplexed over a single etcd Watch stream (as etcd's own client
/// does), each watcher under an id the store picks.
///
/// When the stream breaks (its member went away), the hub opens a new one on the next member and
/// re-creates every watcher from the revision after the last one it delivered, so a consumer sees
/// each event exactly once across the switch.
final class EtcdWatchHub: Sendable {
    typealias Continuation = AsyncThrowingStream<[StoreEvent], any Error>.Continuation

    struct Watcher: Sendable {
        let prefix: String
        /// The first revision not yet delivered; 0 until etcd says where a "from now" watch began.
        var next: Int64
        let continuation: Continuation
    }

    struct State: Sendable {
        var watchers: [Int64: Watcher] = [:]
        var nextID: Int64 = 1
        /// Requests for the stream now open (nil between streams: creates wait for the next one).
        var outbox: AsyncStream<Etcdserverpb_WatchRequest>.Continuation?
        var closed = false
    }

    private let state = Mutex(State())
    private let closedSignal: AsyncStream<Void>
    private let closedContinuation: AsyncStream<Void>.Continuation
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        (closedSignal, closedContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    func watch(prefix: String, startRevision: Int64) -> AsyncThrowingStream<[StoreEvent], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: [StoreEvent].self, throwing: (any Error).self, bufferingPolicy: .unbounded)
        let id: Int64? = state.withLock { s in
            if s.closed { return nil }
            let id = s.nextID
            s.nextID += 1
            let watcher = Watcher(prefix: prefix, next: max(startRevision, 0), continuation: continuation)
            s.watchers[id] = watcher
            s.outbox?.yield(Self.createRequest(id: id, watcher))
            return id
        }
        guard let id else {
            continuation.finish(throwing: StoreError.closed)
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.cancel(id) }
        return stream
    }

    private func cancel(_ id: Int64) {
        state.withLock { s in
            guard s.watchers.removeValue(forKey: id) != nil else { return }
            var cancel = Etcdserverpb_WatchCancelRequest()
            cancel.watchID = id
            var request = Etcdserverpb_WatchRequest()
            request.requestUnion = .cancelRequest(cancel)
            s.outbox?.yield(request)
        }
    }

    /// Ends every watch with `StoreError.closed` and stops ``run(members:)``.
    func close() {
        let watchers = state.withLock { s -> [Watcher] in
            s.closed = true
            s.outbox?.finish()
            s.outbox = nil
            defer { s.watchers = [:] }
            return Array(s.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish(throwing: StoreError.closed) }
        closedContinuation.finish()
    }

    /// Keeps a Watch stream open on the current member until ``close()``.
    func run(members: EtcdMembers) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in self.closedSignal {} }
            group.addTask { await self.streamLoop(members: members) }
            await group.next()
            group.cancelAll()
        }
    }

    private func streamLoop(members: EtcdMembers) async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            let (index, client) = members.current
            let (requests, outbox) = AsyncStream.makeStream(of: Etcdserverpb_WatchRequest.self)
            let open = state.withLock { s -> Bool in
                if s.closed { return false }
                s.outbox = outbox
                for (id, watcher) in s.watchers { outbox.yield(Self.createRequest(id: id, watcher)) }
                return true
            }
            guard open else { return }
            let delivered = Atomic<Bool>(false)
            do {
                try await Etcdserverpb_Watch.Client(wrapping: client).watch(
                    options: members.streamOptions,
                    requestProducer: { writer in
                        for await request in requests { try await writer.write(request) }
                    },
                    onResponse: { response in
                        for try await message in response.messages {
                            delivered.store(true, ordering: .relaxed)
                            self.handle(message)
                        }
                    })
                logger.debug("etcd watch stream ended; reopening", metadata: ["member": "\(members.endpoints[index])"])
            } catch {
                if Task.isCancelled { return }
                if let rpcError = error as? RPCError, EtcdMembers.isUnavailable(rpcError) {
                    members.markUnavailable(index, because: rpcError)
                }
                logger.info("etcd watch stream failed; reopening", metadata: [
                    "member": "\(members.endpoints[index])", "error": "\(error)"])
            }
            state.withLock { s in
                if s.outbox != nil { s.outbox?.finish(); s.outbox = nil }
            }
            backoff = delivered.load(ordering: .relaxed) ? .milliseconds(100) : min(backoff * 2, .seconds(2))
            try? await Task.sleep(for: backoff)
        }
    }

    private func handle(_ message: Etcdserverpb_WatchResponse) {
        enum Outcome {
            case deliver(Continuation, [StoreEvent])
            case fail(Continuation, StoreError)
            case nothing
        }
        let outcome = state.withLock { s -> Outcome in
            guard var watcher = s.watchers[message.watchID] else { return .nothing }
            if message.compactRevision != 0 {
                s.watchers[message.watchID] = nil
                return .fail(watcher.continuation, .compacted(requested: watcher.next, compactedRevision: message.compactRevision))
            }
            if message.canceled {
                s.watchers[message.watchID] = nil
                return .fail(watcher.continuation, .backend("etcd cancelled the watch: \(message.cancelReason)"))
            }
            if message.created, watcher.next == 0 {
                watcher.next = message.header.revision + 1
            }
            let events = message.events.compactMap { event -> StoreEvent? in
                let converted = Self.storeEvent(event)
                return converted.revision >= watcher.next ? converted : nil
            }
            if let last = events.last {
                watcher.next = last.revision + 1
            } else if !message.created, message.events.isEmpty {
                // A progress notification: everything up to its revision has been sent.
                watcher.next = max(watcher.next, message.header.revision + 1)
            }
            s.watchers[message.watchID] = watcher
            return events.isEmpty ? .nothing : .deliver(watcher.continuation, events)
        }
        switch outcome {
        case .deliver(let continuation, let events): continuation.yield(events)
        case .fail(let continuation, let error): continuation.finish(throwing: error)
        case .nothing: break
        }
    }

    static func storeEvent(_ event: Mvccpb_Event) -> StoreEvent {
        let previous = event.hasPrevKv ? EtcdKeys.keyValue(event.prevKv) : nil
        switch event.type {
        case .delete:
            let kv = KeyValue(key: String(decoding: event.kv.key, as: UTF8.self), value: [],
                              createRevision: 0, modRevision: event.kv.modRevision)
            return StoreEvent(kind: .delete, kv: kv, previous: previous)
        default:
            return StoreEvent(kind: .put, kv: EtcdKeys.keyValue(event.kv), previous: previous)
        }
    }

    static func createRequest(id: Int64, _ watcher: Watcher) -> Etcdserverpb_WatchRequest {
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = EtcdKeys.rangeStart(ofPrefix: watcher.prefix)
        create.rangeEnd = EtcdKeys.rangeEnd(ofPrefix: watcher.prefix)
        create.startRevision = watcher.next
        create.prevKv = true
        create.progressNotify = true
        create.watchID = id
        var request = Etcdserverpb_WatchRequest()
        request.requestUnion = .createRequest(create)
        return request
    }
}

extension EtcdStore {
    public func watch(prefix: String, startRevision: Int64) -> AsyncThrowingStream<[StoreEvent], any Error> {
        watches.watch(prefix: prefix, startRevision: startRevision)
    }
}
