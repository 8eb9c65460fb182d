public import KyvernAPI

/// One event of a typed watch.
public enum TypedWatchEvent<Object: KubernetesObject>: Sendable, Equatable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// Only the point a re-watch can resume from.
    case bookmark(resourceVersion: String)
    /// A `Status` the server sent in the stream.
    case error(APIError)

    /// Decodes the object of a dynamic event; throws ``ModelDecodingError`` when it is not an `Object`.
    public init(_ event: WatchEvent) throws {
        switch event {
        case .added(let o): self = .added(try Object(json: o))
        case .modified(let o): self = .modified(try Object(json: o))
        case .deleted(let o): self = .deleted(try Object(json: o))
        case .bookmark(let o): self = .bookmark(resourceVersion: o[path: ["metadata", "resourceVersion"]]?.stringValue ?? "")
        case .error(let error): self = .error(error)
        }
    }

    /// The object of an added/modified/deleted event.
    public var object: Object? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): o
        case .bookmark, .error: nil
        }
    }
}

/// A watch's events decoded as `Object`s; ends (and frees its connection) like the dynamic stream
/// it wraps when the consumer stops or is cancelled. An event that does not decode ends it with
/// ``ModelDecodingError``.
public struct TypedWatchStream<Object: KubernetesObject>: AsyncSequence, Sendable {
    public typealias Element = TypedWatchEvent<Object>
    let base: AsyncThrowingStream<WatchEvent, any Error>

    public init(_ base: AsyncThrowingStream<WatchEvent, any Error>) {
        self.base = base
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator

        public mutating func next() async throws -> TypedWatchEvent<Object>? {
            guard let event = try await base.next() else { return nil }
            return try TypedWatchEvent(event)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator())
    }
}
