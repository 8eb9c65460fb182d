import NIOCore

/// Turns bare LF line ends in an endpoint's response head into CRLF before the HTTP decoder sees
/// them. Servers that write heads by hand (busybox httpd's CGI answers, small scripts) end lines
/// with LF alone; nginx and curl accept that, NIO's strict parser refuses the response, which
/// the proxy would turn into a 502. Only the head is touched: once its blank line has passed,
/// bytes flow unchanged until ``expectHead()`` (the proxy calls it when a response ended). A
/// head that needs no change is passed on as it came, without a copy.
final class IngressResponseHeadNormalizer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var inHead = true
    /// Bytes of the current line so far (a line of only CR counts as empty).
    private var lineLength = 0
    private var previousWasCR = false
    /// The status line's first bytes, to tell an interim (1xx) head, after which another follows.
    private var statusLine: [UInt8] = []
    private var lineNumber = 0

    /// The next bytes begin a response head.
    func expectHead() {
        inHead = true
        lineLength = 0
        previousWasCR = false
        statusLine.removeAll(keepingCapacity: true)
        lineNumber = 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard inHead else { return context.fireChannelRead(data) }
        let buffer = unwrapInboundIn(data)
        var output: ByteBuffer?
        var copiedUpTo = buffer.readerIndex
        buffer.withUnsafeReadableBytes { bytes in
            var index = 0
            while index < bytes.count, inHead {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\n") {
                    if !previousWasCR {
                        // a bare LF: copy what came before it, then CRLF
                        if output == nil { output = context.channel.allocator.buffer(capacity: buffer.readableBytes + 16) }
                        let start = copiedUpTo - buffer.readerIndex
                        output!.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                        output!.writeBytes([UInt8(ascii: "\r"), UInt8(ascii: "\n")])
                        copiedUpTo = buffer.readerIndex + index + 1
                    }
                    lineEnded()
                } else if byte == UInt8(ascii: "\r") {
                    previousWasCR = true
                } else {
                    if previousWasCR { lineLength += 1 }   // a CR inside a line is the line's
                    previousWasCR = false
                    lineLength += 1
                    if lineNumber == 0, statusLine.count < 16 { statusLine.append(byte) }
                }
                index += 1
            }
            if var out = output {
                let start = copiedUpTo - buffer.readerIndex
                out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                output = out
            }
        }
        context.fireChannelRead(wrapInboundOut(output ?? buffer))
    }

    /// A line ended: the head ends at an empty line, unless the head was an interim one.
    private func lineEnded() {
        let empty = lineLength == 0
        lineLength = 0
        previousWasCR = false
        lineNumber += 1
        guard empty, lineNumber > 1 else { return }
        if Self.isInterim(statusLine) {
            expectHead()
        } else {
            inHead = false
        }
    }

    /// `HTTP/1.x 1..` : a 100 Continue or another informational answer.
    static func isInterim(_ statusLine: [UInt8]) -> Bool {
        guard let space = statusLine.firstIndex(of: UInt8(ascii: " ")), space + 1 < statusLine.count else { return false }
        return statusLine[space + 1] == UInt8(ascii: "1")
    }
}
