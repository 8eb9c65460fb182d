public import KyvernAPI
public import KyvernClient
import Synchronization

/// The live ``ClusterDNSState``: informer handlers write it, queries take a snapshot.
///
/// A mutex rather than an actor: a query only copies the value (copy-on-write makes that cheap),
/// and the NIO handlers never wait behind an actor's queue.
package final class ClusterDNSRecords: Sendable {
    private let state = Mutex(ClusterDNSState())

    package init() {}

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
