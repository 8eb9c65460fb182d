/// How an exec, attach or port-forward session ends: with the WebSocket closing handshake.
///
/// When the session's work ends first (the command exited, the pod's side of every forwarded
/// connection closed), its last messages and close frame go out and the client's messages are
/// still read until the client answers the close (RFC 6455 §5.5.1), or ``closeWait`` passes; only
/// then does the connection close. Closing at once could reach a client still finishing its
/// upgrade, which then loses the last messages (see ``HalfCloseAfterClientSpoke``). When the
/// client leaves first, the work is cancelled.
enum SessionClosing {
    static let closeWait: Duration = .seconds(10)

    private enum Ended<Result: Sendable>: Sendable {
        case client
        case work(Result)
        case waited
    }

    /// Runs `reader` (until the client's messages end) beside `work`; `finish` sends what the
    /// work's result calls for and the close frame. Returns the work's result, or nil when the
    /// client left first.
    static func run<Result: Sendable>(reader: @escaping @Sendable () async -> Void,
                                      work: @escaping @Sendable () async -> Result,
                                      finish: @Sendable (Result) async -> Void,
                                      closeWait: Duration = Self.closeWait) async -> Result? {
        await withTaskGroup(of: Ended<Result>.self) { group in
            group.addTask {
                await reader()
                return .client
            }
            group.addTask { .work(await work()) }
            guard case .work(let result) = await group.next() else {
                group.cancelAll()
                return nil
            }
            await finish(result)
            group.addTask {
                try? await Task.sleep(for: closeWait)
                return .waited
            }
            _ = await group.next()
            group.cancelAll()
            return result
        }
    }
}
