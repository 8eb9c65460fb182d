#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// The shim's attach socket: an abstract unix socket per container (no path-length limit, gone
/// with the shim). Both directions carry frames `[kind][UInt32 length][bytes]`: the shim sends
/// output (1 stdout, 2 stderr); the client sends stdin (0) and terminal sizes (4: rows and columns as
/// big-endian UInt16), and shuts its write side when stdin ends. Sizes travel in band because only
/// the shim holds the terminal's master side, the one a resize must reach.
enum AttachChannel {
    static let stdinKind: UInt8 = 0
    static let resizeKind: UInt8 = 4

    static func address(containerID: String) -> String { "@kyvern-attach-" + containerID }

    static func frame(_ stream: CRILogWriter.Stream, _ bytes: some Collection<UInt8>) -> [UInt8] {
        frame(kind: stream == .stdout ? 1 : 2, bytes)
    }

    static func frame(kind: UInt8, _ bytes: some Collection<UInt8>) -> [UInt8] {
        let length = UInt32(bytes.count)
        return [kind, UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff),
                UInt8(length & 0xff)] + bytes
    }

    static func resizeFrame(_ size: TerminalSize) -> [UInt8] {
        frame(kind: resizeKind, [UInt8(size.height >> 8), UInt8(size.height & 0xff), UInt8(size.width >> 8), UInt8(size.width & 0xff)])
    }

    /// A resize frame's payload as (rows, columns); nil when it is not 4 bytes.
    static func terminalSize(_ payload: [UInt8]) -> (rows: UInt16, columns: UInt16)? {
        guard payload.count == 4 else { return nil }
        return (UInt16(payload[0]) << 8 | UInt16(payload[1]), UInt16(payload[2]) << 8 | UInt16(payload[3]))
    }

    /// Splits a byte stream back into frames; keeps an incomplete tail for the next call.
    struct Decoder {
        var buffer: [UInt8] = []

        /// Output frames (shim → client).
        mutating func feed(_ bytes: [UInt8]) -> [(CRILogWriter.Stream, [UInt8])] {
            feedFrames(bytes).map { ($0.kind == 1 ? .stdout : .stderr, $0.payload) }
        }

        mutating func feedFrames(_ bytes: [UInt8]) -> [(kind: UInt8, payload: [UInt8])] {
            buffer += bytes
            var frames: [(kind: UInt8, payload: [UInt8])] = []
            var start = 0
            while buffer.count - start >= 5 {
                let length = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
                guard buffer.count - start - 5 >= length else { break }
                frames.append((buffer[start], Array(buffer[(start + 5)..<(start + 5 + length)])))
                start += 5 + length
            }
            buffer.removeFirst(start)
            return frames
        }
    }
}

/// The agent's side of `attach`.
enum AttachClient {
    static func attach(containerID: String, io: StreamIO) async throws {
        let fd = try UnixSockets.connect(AttachChannel.address(containerID: containerID))
        let reader = dup(fd)
        // Frames from two tasks must not interleave: one writer at a time.
        let writer = FrameWriter(fd: fd)
        let feeder = Task {
            if let stdin = io.stdin {
                for await chunk in stdin {
                    if await !writer.send(AttachChannel.frame(kind: AttachChannel.stdinKind, chunk)) { break }
                }
                shutdown(fd, Int32(SHUT_WR))
            }
        }
        let resizer = Task {
            guard let resize = io.resize else { return }
            for await size in resize {
                if await !writer.send(AttachChannel.resizeFrame(size)) { break }
            }
        }
        let decoder = FrameSink(io: io)
        await withTaskCancellationHandler {
            await Relay.pump(reader) { await decoder.feed($0) }
        } onCancel: {
            shutdown(fd, Int32(SHUT_RDWR))
        }
        feeder.cancel()
        resizer.cancel()
        close(fd)
    }

    /// Writes frames one after another: each waits for the one before, so stdin and resize
    /// frames never interleave on the socket.
    actor FrameWriter {
        let fd: Int32
        var last: Task<Bool, Never>?
        init(fd: Int32) { self.fd = fd }

        func send(_ frame: [UInt8]) async -> Bool {
            let previous = last, fd = self.fd
            let next = Task { () -> Bool in
                guard await previous?.value ?? true else { return false }
                return await Relay.write(fd, frame)
            }
            last = next
            return await next.value
        }
    }

    actor FrameSink {
        let io: StreamIO
        var decoder = AttachChannel.Decoder()
        init(io: StreamIO) { self.io = io }

        func feed(_ bytes: [UInt8]) async {
            for (stream, data) in decoder.feed(bytes) {
                await (stream == .stdout ? io.stdout : io.stderr ?? io.stdout)?(data)
            }
        }
    }
}
