import Foundation
import KyvernRuntime

/// Streams a container's CRI log file: what is there now, then (with `follow`) what the runtime
/// appends, until the container has exited and the file stops growing, or the limit is reached.
struct LogFollower: Sendable {
    let path: String
    let options: LogOptions
    let containerID: String
    let runtime: any ContainerRuntime
    var pollInterval: Duration = .milliseconds(200)

    func run(_ write: ([UInt8]) async throws -> Void) async throws {
        var reader = CRILogReader(options: options)
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let initial = (try? handle.readToEnd()).map { Array($0) } ?? []
        let first = reader.initial(initial)
        if !first.isEmpty { try await write(first) }
        guard options.follow else { return }
        var quietAfterExit = false
        while !reader.exhausted && !Task.isCancelled {
            let chunk = (try? handle.readToEnd()).map { Array($0) } ?? []
            if !chunk.isEmpty {
                let out = reader.appended(chunk)
                if !out.isEmpty { try await write(out) }
                quietAfterExit = false
                continue
            }
            if quietAfterExit { return }
            let running = (try? await runtime.containerStatus(id: containerID).state) == .running
            // One more read after the container stopped catches its last lines.
            if !running { quietAfterExit = true; continue }
            try await Task.sleep(for: pollInterval)
        }
    }
}
