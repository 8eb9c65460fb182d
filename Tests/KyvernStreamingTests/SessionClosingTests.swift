import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import KyvernKubelet

/// Records the closes that reach it (the side towards the socket) and completes them.
final class CloseRecorder: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    var modes: [CloseMode] = []

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        modes.append(mode)
        promise?.succeed(())
    }
}

@Suite struct HalfCloseAfterClientSpokeTests {
    func channel() throws -> (EmbeddedChannel, CloseRecorder) {
        let recorder = CloseRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(HalfCloseAfterClientSpoke())
        return (channel, recorder)
    }

    @Test func aHalfCloseBeforeTheClientSpokeWaitsForItsFirstBytes() throws {
        let (channel, recorder) = try channel()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.close(mode: .output, promise: promise)
        #expect(recorder.modes.isEmpty)
        try channel.writeInbound(ByteBuffer(bytes: [0x89, 0x80]))
        #expect(recorder.modes == [.output])
        try promise.futureResult.wait()
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0x89, 0x80]))
    }

    @Test func onceTheClientSpokeAHalfCloseGoesAtOnce() throws {
        let (channel, recorder) = try channel()
        try channel.writeInbound(ByteBuffer(bytes: [1]))
        channel.pipeline.close(mode: .output, promise: nil)
        #expect(recorder.modes == [.output])
    }

    @Test func aWholeCloseGoesAtOnceAndEndsAHeldHalfClose() throws {
        let (channel, recorder) = try channel()
        let held = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.close(mode: .output, promise: held)
        let whole = channel.eventLoop.makePromise(of: Void.self)
        channel.pipeline.close(mode: .all, promise: whole)
        #expect(recorder.modes == [.all])
        try held.futureResult.wait()
        try whole.futureResult.wait()
    }
}

/// What happened, in order, across a session's tasks.
private final class Events: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ event: String) { list.withLock { $0.append(event) } }
    var all: [String] { list.withLock { $0 } }
}

@Suite struct SessionClosingTests {
    @Test func workEndingFirstIsReportedThenTheClientsCloseIsAwaited() async throws {
        let events = Events()
        let (answer, answered) = AsyncStream<Void>.makeStream()
        let result = await SessionClosing.run(
            reader: {
                for await _ in answer {}
                events.add("client answered")
            },
            work: {
                events.add("work done")
                return 7
            },
            finish: { value in
                events.add("finish \(value)")
                answered.finish()   // the client answers the close only once it was sent
            })
        #expect(result == 7)
        #expect(events.all == ["work done", "finish 7", "client answered"])
    }

    @Test func theClientLeavingFirstCancelsTheWork() async throws {
        let events = Events()
        let result: Int? = await SessionClosing.run(
            reader: { events.add("client left") },
            work: {
                try? await Task.sleep(for: .seconds(60))
                events.add(Task.isCancelled ? "work cancelled" : "work ran out")
                return 1
            },
            finish: { _ in events.add("finish") })
        #expect(result == nil)
        #expect(events.all == ["client left", "work cancelled"])
    }

    @Test func aClientThatNeverAnswersIsWaitedForOnlySoLong() async throws {
        let events = Events()
        let start = ContinuousClock.now
        let result = await SessionClosing.run(
            reader: {
                try? await Task.sleep(for: .seconds(60))
                events.add(Task.isCancelled ? "reader cancelled" : "reader ran out")
            },
            work: { 2 },
            finish: { _ in events.add("finish") },
            closeWait: .milliseconds(50))
        #expect(result == 2)
        #expect(events.all == ["finish", "reader cancelled"])
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
