/// The frames one SPDY connection sends, in order, to its single writer (header blocks share one
/// zlib stream, so frames must reach the wire in the order they are encoded). Data relayed from a
/// pod is sent with ``write(_:)``, which returns once the frame is on the wire: a slow kubectl
/// slows the pod's reader instead of filling memory.
struct SPDYFrameQueue: Sendable {
    typealias Item = (frame: SPDYFrame, written: CheckedContinuation<Void, Never>?)

    let items: AsyncStream<Item>
    private let input: AsyncStream<Item>.Continuation

    init() {
        (items, input) = AsyncStream<Item>.makeStream()
    }

    /// Queues a frame without waiting (control frames, FINs).
    func post(_ frame: SPDYFrame) {
        input.yield((frame, nil))
    }

    /// Queues a frame and waits until the writer has sent it (or the connection is over).
    func write(_ frame: SPDYFrame) async {
        await withCheckedContinuation { written in
            if case .terminated = input.yield((frame, written)) { written.resume() }
        }
    }

    /// No more frames; the writer ends after sending what is queued.
    func finish() {
        input.finish()
    }

    /// The writer: sends every queued frame until ``finish()``; after a failed write the rest are
    /// only acknowledged, so no sender waits forever.
    func drain(_ send: ([UInt8]) async throws -> Void) async {
        let encoder = try? SPDYFrameEncoder()
        var open = encoder != nil
        for await item in items {
            if open, let encoder {
                do { try await send(encoder.encode(item.frame)) } catch { open = false }
            }
            item.written?.resume()
        }
    }
}
