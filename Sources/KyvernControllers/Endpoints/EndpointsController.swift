import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Keeps the legacy v1 Endpoints object of every Service with a selector (upstream's Endpoints
/// controller): same name as the Service, the Service's labels plus
/// `endpoints.kubernetes.io/managed-by: endpoint-controller`, ``EndpointSubsets`` as `subsets`.
///
/// Services without a selector keep whatever Endpoints their user writes: this controller never
/// creates, changes or deletes those. When a Service goes away its Endpoints go too, but only if
/// this controller made them (they carry the managed-by label). Writes happen only when subsets,
/// labels or the capacity annotation differ.
struct EndpointsController: Reconciler {
    static let name = "endpoints"
    static let managedByLabel = "endpoints.kubernetes.io/managed-by"
    static let controllerName = "endpoint-controller"
    static let overCapacityAnnotation = "endpoints.kubernetes.io/over-capacity"
    static let triggerTimeAnnotation = EndpointSliceShape.triggerTimeAnnotation
    static let resource = ResourceRef(group: "", version: "v1", resource: "endpoints", namespaced: true)

    let client: any KubernetesClient
    let services: any ObjectCache
    let pods: any ObjectCache
    let endpoints: any ObjectCache
    let queue: ControllerQueue?
    let logger: Logger
    let triggerTimes = TriggerTimeTracker()

    func reconcile(_ key: ObjectKey) async throws {
        guard let object = await services.get(namespace: key.namespace, name: key.name) else {
            await triggerTimes.forget(key)
            try await deleteIfManaged(key)
            return
        }
        let service = ServiceFacts(object)
        guard let selector = service.selector, !service.isExternalName else { return }
        let selected = await pods.list(namespace: key.namespace).filter {
            ServiceFacts.matches(selector, labels: $0.labels)
        }
        let triggerTime = await triggerTimes.compute(service: object, pods: selected)
        let subsets = EndpointSubsets.compute(service: service, pods: selected)
        let labels = Self.labels(for: service)
        let current = await endpoints.get(namespace: key.namespace, name: key.name)
        if let current, Self.isUpToDate(current, subsets: subsets, labels: labels) { return }

        var desired = current ?? [
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": ["name": .string(key.name), "namespace": .string(key.namespace ?? "")],
        ]
        var annotations = desired[path: ["metadata", "annotations"]]?.objectValue ?? [:]
        annotations[Self.triggerTimeAnnotation] = triggerTime.map(JSONValue.string)
        if let cut = EndpointSubsets.truncated(subsets) {
            desired["subsets"] = .array(cut)
            annotations[Self.overCapacityAnnotation] = "truncated"
        } else {
            desired["subsets"] = subsets.isEmpty ? nil : .array(subsets)
            annotations[Self.overCapacityAnnotation] = nil
        }
        desired[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : .object(annotations)
        desired[path: ["metadata", "labels"]] = .object(labels.mapValues(JSONValue.string))
        if current == nil {
            do {
                _ = try await client.create(Self.resource, namespace: key.namespace, desired)
            } catch let error as APIError where error.code == 409 {
                // Created meanwhile (by us, not yet in the cache, or by a user): look again later.
                await queue?.addAfter(key, delay: .seconds(1))
            } catch let error as APIError where error.code == 403 || error.code == 404 {
                logger.debug("cannot create endpoints", metadata: ["service": "\(key)", "error": "\(error)"])
            }
        } else {
            _ = try await client.update(Self.resource, namespace: key.namespace, desired)
        }
    }

    /// The Service's labels, the headless marker when it has no cluster IP, and the managed-by label.
    static func labels(for service: ServiceFacts) -> [String: String] {
        var labels = service.labels
        if service.isHeadless {
            labels[EndpointSliceShape.headlessLabel] = ""
        } else {
            labels[EndpointSliceShape.headlessLabel] = nil
        }
        labels[managedByLabel] = controllerName
        return labels
    }

    /// Upstream's no-op test: same subsets, same labels, and the capacity annotation present
    /// exactly when the subsets are over capacity (then they are always rewritten).
    static func isUpToDate(_ current: JSONValue, subsets: [JSONValue], labels: [String: String]) -> Bool {
        let stored = current["subsets"]?.arrayValue ?? []
        guard EndpointSubsets.count(subsets) <= EndpointSubsets.maxCapacity,
              current.annotations[overCapacityAnnotation] == nil else { return false }
        return stored == subsets && current.labels == labels
    }

    private func deleteIfManaged(_ key: ObjectKey) async throws {
        guard let current = await endpoints.get(namespace: key.namespace, name: key.name),
              current.labels[Self.managedByLabel] == Self.controllerName else { return }
        do {
            try await client.delete(Self.resource, namespace: key.namespace, name: key.name,
                                    options: DeleteOptions(preconditionUID: current.uid))
        } catch let error as APIError where error.code == 404 || error.code == 409 {}
    }
}
