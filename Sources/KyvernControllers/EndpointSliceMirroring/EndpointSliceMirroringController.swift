import KyvernAPI
import KyvernClient
import Logging

/// Mirrors the v1 Endpoints of Services without a selector into EndpointSlices (upstream's
/// EndpointSlice mirroring controller, IPv4 only), so consumers that read only slices (the
/// service proxy, cluster DNS) also see endpoints written by hand or by other tools.
///
/// Endpoints labelled `endpointslice.kubernetes.io/skip-mirror: "true"` or used as leader-election
/// locks are left alone; the mirrored slices go when the Endpoints goes or stops qualifying, or its
/// Service goes or gains a selector. Slices managed by anyone else are never touched.
struct EndpointSliceMirroringController: Reconciler {
    static let name = "endpointslicemirroring"
    static let component = "endpoint-slice-mirroring-controller"
    static let endpointsResource = EndpointsController.resource
    /// Mirrored slices by `namespace/endpoints`.
    static let sliceIndex = ManagedSlices.index(name: "mirroredSliceEndpoints", managedBy: MirrorShape.controllerName)

    let client: any KubernetesClient
    let services: any ObjectCache
    let endpoints: any ObjectCache
    let slices: any ObjectCache
    let queue: ControllerQueue?
    let recorder: EventRecorder
    let logger: Logger
    var tracker = SliceWriteTracker()

    init(client: any KubernetesClient, services: any ObjectCache, endpoints: any ObjectCache, slices: any ObjectCache,
         queue: ControllerQueue?, logger: Logger) {
        self.client = client
        self.services = services
        self.endpoints = endpoints
        self.slices = slices
        self.queue = queue
        self.logger = logger
        self.recorder = EventRecorder(client: client, component: Self.component, logger: logger)
    }

    private var managed: ManagedSlices {
        ManagedSlices(ownerKind: "endpoints", client: client, tracker: tracker, queue: queue, logger: logger)
    }

    func reconcile(_ key: ObjectKey) async throws {
        let cached = await slices.list(index: Self.sliceIndex, value: key.description)
        if await managed.cacheIsBehind(key, cached: cached) { return }
        guard let object = await endpoints.get(namespace: key.namespace, name: key.name), MirrorShape.shouldMirror(object),
              let service = await services.get(namespace: key.namespace, name: key.name),
              ServiceFacts(service).selector == nil else {
            for slice in cached { try await managed.delete(slice, owner: key) }
            await tracker.forget(key)
            return
        }
        let desired = MirroredEndpoints(endpoints: object)
        if desired.invalidAddresses > 0 {
            await recorder.warning(object, reason: "InvalidIPAddress",
                                   message: "Skipped \(desired.invalidAddresses) invalid IP addresses when mirroring to EndpointSlices")
        }
        if desired.skippedAddresses > desired.invalidAddresses {
            await recorder.warning(object, reason: "TooManyAddressesToMirror", message:
                "A max of \(MirroredEndpoints.maxPerSubset) addresses can be mirrored to EndpointSlices per Endpoints subset. \(desired.skippedAddresses) addresses were skipped")
        }
        let plan = MirrorPlan(endpoints: object, desired: desired, existing: cached)
        try await managed.write(creates: plan.creates, updates: plan.updates, deletes: plan.deletes, owner: key)
    }
}
