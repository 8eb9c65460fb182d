import KyvernAPI
package import KyvernClient
import Synchronization

/// The live ``ClusterDNSState``: informer handlers write it, queries take a snapshot.
///
/// A mutex rather than an actor: a query only copies the value (copy-on-write makes that cheap),
/// and the NIO handlers never wait behind an actor's queue.
package final class ClusterDNSRecords: Sendable {
    private let state = Mutex(ClusterDNSState())
    private let synced: Mutex<Bool>

    /// `synced` starts true for a fixed state (tests); the server opens it after the informers' first list.
    package init(synced: Bool = false) {
        self.synced = Mutex(synced)
    }

    /// Whether the first lists of Services and EndpointSlices have arrived.
    package var isSynced: Bool { synced.withLock { $0 } }

    package func markSynced() {
        synced.withLock { $0 = true }
    }

    /// Changes the state directly (tests seed a fixed cluster this way).
    package func update(_ change: (inout ClusterDNSState) -> Void) {
        state.withLock { change(&$0) }
    }

    package var snapshot: ClusterDNSState { state.withLock { $0 } }

    /// Applies a Service informer event.
    package func apply(serviceEvent event: InformerEvent) {
        switch event {
        case .added(let object), .updated(_, let object):
            guard let entry = ClusterServiceEntry(object) else { return }
            state.withLock { $0.upsert(entry) }
        case .deleted(let object):
            guard let name = object.name, let namespace = object.namespace else { return }
            state.withLock { $0.removeService(namespace: namespace, name: name) }
        }
    }

    /// Applies an EndpointSlice informer event.
    package func apply(sliceEvent event: InformerEvent) {
        switch event {
        case .added(let object), .updated(_, let object):
            guard let name = object.name, let namespace = object.namespace else { return }
            if let entry = ClusterEndpointSliceEntry(object) {
                state.withLock { $0.upsert(entry) }
            } else {
                // A slice that lost its Service label (or became FQDN) no longer serves DNS.
                state.withLock { $0.removeSlice(namespace: namespace, name: name) }
            }
        case .deleted(let object):
            guard let name = object.name, let namespace = object.namespace else { return }
            state.withLock { $0.removeSlice(namespace: namespace, name: name) }
        }
    }

    /// Registers the handlers on the factory's Service and EndpointSlice informers (created if new).
    package func attach(to informers: SharedInformerFactory) async {
        await informers.informer(for: .services).addHandler { [self] in apply(serviceEvent: $0) }
        await informers.informer(for: .endpointSlices).addHandler { [self] in apply(sliceEvent: $0) }
    }
}
