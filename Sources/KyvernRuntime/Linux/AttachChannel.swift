#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// The shim's attach socket: an abstract unix socket per container (no path-length limit, gone
/// with the shim). The shim sends output as frames `[1 stdout | 2 stderr][UInt32 length][bytes]`;
/// the client sends raw stdin bytes and shuts its write side when stdin ends.
enum AttachChannel {
    static func address(containerID: String) -> String { "@kyvern-attach-" + containerID }

    static func frame(_ stream: CRILogWriter.Stream, _ bytes: some Collection<UInt8>) -> [UInt8] {
        let length = UInt32(bytes.count)
        return [stream == .stdout ? 1 : 2, UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff),
                UInt8(length & 0xff)] + bytes
    }

    /// Splits a byte stream back into frames; keeps an incomplete tail for the next call.
    struct Decoder {
        var buffer: [UInt8] = []

        mutating func feed(_ bytes: [UInt8]) -> [(CRILogWriter.Stream, [UInt8])] {
            buffer += bytes
            var frames: [(CRILogWriter.Stream, [UInt8])] = []
            var start = 0
            while buffer.count - start >= 5 {
                let length = Int(buffer[start + 1]) << 24 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 8 | Int(buffer[start + 4])
                guard buffer.count - start - 5 >= length else { break }
                frames.append((buffer[start] == 1 ? .stdout : .stderr, Array(buffer[(start + 5)..<(start + 5 + length)])))
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
        let feeder = Task {
            if let stdin = io.stdin {
                for await chunk in stdin {
                    if await !Relay.write(fd, chunk) { break }
                }
                shutdown(fd, Int32(SHUT_WR))
            }
        }
        let decoder = FrameSink(io: io)
        await withTaskCancellationHandler {
            await Relay.pump(reader) { await decoder.feed($0) }
        } onCancel: {
            shutdown(fd, Int32(SHUT_RDWR))
        }
        feeder.cancel()
        close(fd)
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
