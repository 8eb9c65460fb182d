#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// Runs a command with its standard I/O relayed to a `StreamIO` (non-terminal `exec`).
enum StreamingCommand {
    static func run(_ arguments: [String], io: StreamIO) async throws -> Int32 {
        let out = try ChildProcess.pipe()
        let err = try ChildProcess.pipe()
        let input = io.stdin == nil ? nil : try ChildProcess.pipe()
        var descriptors: [Int32: Int32] = [1: out.write, 2: err.write]
        if let input { descriptors[0] = input.read }
        let pid = try ChildProcess.spawn(arguments, options: .init(descriptors: descriptors))
        close(out.write)
        close(err.write)
        if let input { close(input.read) }
        let feeder = Task {
            guard let input, let stdin = io.stdin else { return }
            for await chunk in stdin {
                if await !Relay.write(input.write, chunk) { break }
            }
            close(input.write)
        }
        async let stdoutDone: Void = Relay.pump(out.read, to: io.stdout)
        async let stderrDone: Void = Relay.pump(err.read, to: io.stderr)
        let code = await ChildProcess.wait(pid)
        _ = await (stdoutDone, stderrDone)
        feeder.cancel()
        return code
    }
}

/// Moves bytes between descriptors and async callbacks, with the blocking calls on threads.
enum Relay {
    /// Reads `fd` until end of file, handing each chunk to `sink` in order; closes `fd`.
    static func pump(_ fd: Int32, to sink: (@Sendable ([UInt8]) async -> Void)?) async {
        let chunks = AsyncStream<[UInt8]> { continuation in
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 32768)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    continuation.yield(Array(buffer[0..<count]))
                }
                close(fd)
                continuation.finish()
            }
        }
        for await chunk in chunks { await sink?(chunk) }
    }

    /// Writes all of `bytes` on a thread; false when the reader has gone.
    static func write(_ fd: Int32, _ bytes: [UInt8]) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: ChildProcess.writeAll(fd, bytes)) }
        }
    }
}
