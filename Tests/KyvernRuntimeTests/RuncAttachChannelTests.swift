import Testing
@testable import KyvernRuntime

/// The attach socket's frames: output from the shim, stdin and terminal sizes from the client.
@Suite struct RuncAttachChannelTests {
    @Test func framesSplitAcrossReadsComeBackWhole() {
        let bytes = AttachChannel.frame(kind: AttachChannel.stdinKind, Array("hello".utf8))
            + AttachChannel.resizeFrame(TerminalSize(width: 300, height: 40))
        var decoder = AttachChannel.Decoder()
        #expect(decoder.feedFrames(Array(bytes.prefix(7))).isEmpty)
        let frames = decoder.feedFrames(Array(bytes.dropFirst(7)))
        #expect(frames.map(\.kind) == [0, 4])
        #expect(frames[0].payload == Array("hello".utf8))
        let size = AttachChannel.terminalSize(frames[1].payload)
        #expect(size?.rows == 40 && size?.columns == 300)
        #expect(decoder.buffer.isEmpty)
    }

    @Test func outputFramesKeepTheirStream() {
        var decoder = AttachChannel.Decoder()
        let frames = decoder.feed(AttachChannel.frame(.stderr, [1, 2]) + AttachChannel.frame(.stdout, []))
        #expect(frames.map(\.0) == [.stderr, .stdout])
        #expect(frames.map(\.1) == [[1, 2], []])
    }

    @Test func aResizeOfTheWrongLengthIsIgnored() {
        #expect(AttachChannel.terminalSize([0, 1, 2]) == nil)
    }
}
