package import NIOSSL
import Synchronization

/// What the proxy serves at one moment: the configuration and the TLS contexts of its Secrets.
/// Immutable; a change builds a new snapshot and swaps it in, so a request in flight keeps the one
/// it started with and open connections are never dropped by a change.
package struct IngressSnapshot: Sendable {
    package var configuration: IngressConfiguration
    package var tlsContexts: [IngressConfiguration.SecretKey: NIOSSLContext]
    /// Served when the client names no host we hold a certificate for.
    package var defaultTLSContext: NIOSSLContext?

    package init(configuration: IngressConfiguration = IngressConfiguration(),
                 tlsContexts: [IngressConfiguration.SecretKey: NIOSSLContext] = [:], defaultTLSContext: NIOSSLContext? = nil) {
        self.configuration = configuration
        self.tlsContexts = tlsContexts
        self.defaultTLSContext = defaultTLSContext
    }

    /// The context for a TLS server name (nil: none sent).
    package func tlsContext(serverName: String?) -> NIOSSLContext? {
        if let serverName, let key = configuration.secret(forServerName: serverName), let context = tlsContexts[key] {
            return context
        }
        return defaultTLSContext
    }
}

/// The current snapshot, swapped atomically by the controller and read by every request.
package final class IngressSnapshotStore: Sendable {
    private let state: Mutex<IngressSnapshot>
    /// Spreads new upstream connections over a backend's endpoints.
    private let turn = Atomic<Int>(0)

    package init(_ snapshot: IngressSnapshot = IngressSnapshot()) {
        state = Mutex(snapshot)
    }

    package var current: IngressSnapshot { state.withLock { $0 } }

    package func replace(_ snapshot: IngressSnapshot) {
        state.withLock { $0 = snapshot }
    }

    /// A different starting point on each call, for round-robin.
    package func nextTurn() -> Int {
        turn.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
    }
}
