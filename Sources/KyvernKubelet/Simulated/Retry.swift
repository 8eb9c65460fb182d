import KyvernAPI
import KyvernClient
import Logging

/// Retries of requests that may succeed later: the server not up yet, overloaded, or restarting.
enum Retry {
    /// Connection failures and 429/5xx answers are worth retrying; other API errors are answers.
    static func isTransient(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        if let api = error as? APIError { return api.code == 429 || api.code >= 500 }
        return true
    }

    /// Runs `operation` until it succeeds, throws a non-transient error, or `attempts` are spent
    /// (nil: until cancelled), waiting 0.2 s, 0.4 s, ... up to 5 s between tries.
    static func run<T: Sendable>(attempts: Int? = 5, logger: Logger, _ what: @autoclosure () -> String,
                                 _ operation: () async throws -> T) async throws -> T {
        var delay = Duration.milliseconds(200)
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                guard isTransient(error), attempts.map({ attempt < $0 }) ?? true else { throw error }
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("\(what()) failed, retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
                attempt += 1
            }
        }
    }
}

extension Error {
    /// The HTTP code of an API answer, nil for other failures.
    var apiCode: Int? { (self as? APIError)?.code }
}
