import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Keeps the EndpointSlices of every Service with a selector listing its pods (upstream's
/// EndpointSlice controller, IPv4 only).
///
/// A sync computes the desired endpoints from the cached pods and nodes, plans the writes against
/// the cached slices this controller manages (``SlicePlan``) and performs them; a Service without
/// a selector (or of type ExternalName) has its managed slices removed, and slices managed by
/// anyone else are never touched. When the cache does not yet show the previous sync's writes,
/// the sync waits for the slice events that will queue it again.
struct EndpointSliceController: Reconciler {
    static let name = "endpointslice"
    static let component = "endpointslice-controller"
    /// Managed slices by `namespace/service`.
    static let sliceIndex = ManagedSlices.index(name: "endpointSliceService", managedBy: EndpointSliceShape.controllerName)

    let client: any KubernetesClient
    let services: any ObjectCache
    let pods: any ObjectCache
    let slices: any ObjectCache
    let nodes: any ObjectCache
    let queue: ControllerQueue?
    let logger: Logger
    let triggerTimes = TriggerTimeTracker()
    var tracker = SliceWriteTracker()

    private var managed: ManagedSlices {
        ManagedSlices(ownerKind: "service", client: client, tracker: tracker, queue: queue, logger: logger)
    }

    func reconcile(_ key: ObjectKey) async throws {
        let cached = await slices.list(index: Self.sliceIndex, value: key.description)
        if await managed.cacheIsBehind(key, cached: cached) { return }
        guard let object = await services.get(namespace: key.namespace, name: key.name) else {
            // The garbage collector removes the slices through their owner reference; this only
            // forgets the Service.
            await triggerTimes.forget(key)
            await tracker.forget(key)
            return
        }
        let service = ServiceFacts(object)
        guard let selector = service.selector, !service.isExternalName else {
            for slice in cached { try await managed.delete(slice, owner: key) }
            return
        }
        let selected = await pods.list(namespace: key.namespace).filter {
            ServiceFacts.matches(selector, labels: $0.labels)
        }
        let triggerTime = await triggerTimes.compute(service: object, pods: selected)
        var nodeInfo: [String: DesiredEndpoints.NodeInfo] = [:]
        for name in Set(selected.map(PodState.nodeName)) where !name.isEmpty {
            if let node = await nodes.get(namespace: nil, name: name) {
                nodeInfo[name] = DesiredEndpoints.NodeInfo(zone: node.labels["topology.kubernetes.io/zone"])
            }
        }
        let desired = DesiredEndpoints(service: service, pods: selected, node: { nodeInfo[$0] })
        let plan = SlicePlan(service: service, desired: desired, existing: cached, triggerTime: triggerTime)
        try await managed.write(creates: plan.creates, updates: plan.updates, deletes: plan.deletes, owner: key)
        if !desired.podsOnMissingNodes.isEmpty {
            logger.info("skipping pods whose node is not known yet", metadata: [
                "service": "\(key)", "pods": "\(desired.podsOnMissingNodes.sorted().joined(separator: ","))",
            ])
            await queue?.addAfter(key, delay: .seconds(5))
        }
    }
}
