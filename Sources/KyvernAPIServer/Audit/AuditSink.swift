package import Foundation
package import Logging

/// Where events go: a queue the request path hands lines to without waiting, drained in order
/// by one task into the rotating file (or stdout for `-`).
package final class AuditSink: Sendable {
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let drained: Task<Void, Never>

    package init(path: String, maxSize: Int, maxBackups: Int, maxAge: TimeInterval?, logger: Logger) {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(100_000))
        self.continuation = continuation
        drained = Task.detached {
            let file = path == "-" ? nil : RotatingFileWriter(path: path, maxSize: maxSize, maxBackups: maxBackups, maxAge: maxAge)
            var failing = false
            for await line in stream {
                do {
                    if let file { try file.write(line) } else { try FileHandle.standardOutput.write(contentsOf: line) }
                    failing = false
                } catch {
                    // Logged once per run of failures, not once per event.
                    if !failing { logger.error("cannot write audit log", metadata: ["path": "\(path)", "error": "\(error)"]) }
                    failing = true
                }
            }
        }
    }

    package func process(_ event: AuditEvent) {
        continuation.yield(event.jsonLine())
    }

    /// Stops taking events and waits until those queued are written.
    package func close() async {
        continuation.finish()
        await drained.value
    }
}
