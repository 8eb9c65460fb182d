import KyvernAPI
import KyvernClient

/// Turns Service and pod events into Service keys for the Endpoints and EndpointSlice controllers.
///
/// A pod event costs a look at its namespace's Services (few) and nothing at all when the update
/// cannot change an endpoint (``PodEndpointFacts/endpointsChanged(old:new:)``): pods churn through
/// status updates far more often than their endpoints change.
struct ServiceEventRouting: Sendable {
    let services: any ObjectCache
    let queue: ControllerQueue

    func serviceEvent(_ event: InformerEvent) async {
        await queue.add(ObjectKey(event.object))
    }

    func podEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let pod), .deleted(let pod):
            for key in await servicesSelecting([pod.labels], namespace: pod.namespace) { await queue.add(key) }
        case .updated(let old, let new):
            guard old.resourceVersion != new.resourceVersion,
                  PodEndpointFacts.endpointsChanged(old: old, new: new) else { return }
            let labelSets = old.labels == new.labels ? [new.labels] : [old.labels, new.labels]
            for key in await servicesSelecting(labelSets, namespace: new.namespace) { await queue.add(key) }
        }
    }

    /// The Services of `namespace` whose selector matches any of `labelSets`.
    func servicesSelecting(_ labelSets: [[String: String]], namespace: String?) async -> [ObjectKey] {
        guard let namespace else { return [] }
        return await services.list(namespace: namespace).compactMap { service in
            guard let selector = ServiceFacts(service).selector,
                  labelSets.contains(where: { ServiceFacts.matches(selector, labels: $0) }) else { return nil }
            return ObjectKey(service)
        }
    }
}
