public import KyvernAPI
public import KyvernClient

/// The API calls the scheduler makes, and nothing else: list and watch pods and nodes, bind,
/// patch a pod's status, delete a preemption victim, create events.
///
/// Kept narrow so the driver is testable against an in-memory fake and so the HTTP client can
/// be swapped without touching the scheduling logic.
public protocol SchedulerClient: Sendable {
    func list(_ ref: ResourceRef, options: ListOptions) async throws -> JSONValue
    func watch(_ ref: ResourceRef, resourceVersion: String, timeoutSeconds: Int) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    func bind(namespace: String, pod: String, uid: String?, node: String) async throws
    func patchPodStatus(namespace: String, name: String, _ patch: JSONValue) async throws
    func deletePod(namespace: String, name: String, uid: String?) async throws
    func createEvent(namespace: String, _ event: JSONValue) async throws
}

extension ResourceRef {
    /// events.k8s.io/v1, which upstream's scheduler records through.
    public static let eventsV1 = ResourceRef(group: "events.k8s.io", version: "v1", resource: "events", namespaced: true)
}

extension APIClient: SchedulerClient {
    public func list(_ ref: ResourceRef, options: ListOptions) async throws -> JSONValue {
        try await list(ref, namespace: nil, options: options)
    }

    public func watch(_ ref: ResourceRef, resourceVersion: String, timeoutSeconds: Int) async throws
        -> AsyncThrowingStream<WatchEvent, any Error> {
        try await watch(ref, namespace: nil, resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds)
    }

    public func bind(namespace: String, pod: String, uid: String?, node: String) async throws {
        _ = try await bind(namespace: namespace, pod: pod, uid: uid, node: node) as JSONValue
    }

    public func patchPodStatus(namespace: String, name: String, _ patch: JSONValue) async throws {
        _ = try await self.patch(.pods, namespace: namespace, name: name, subresource: "status",
                                 type: .strategicMerge, patch)
    }

    public func deletePod(namespace: String, name: String, uid: String?) async throws {
        _ = try await delete(.pods, namespace: namespace, name: name, options: DeleteOptions(preconditionUID: uid))
    }

    public func createEvent(namespace: String, _ event: JSONValue) async throws {
        _ = try await create(.eventsV1, namespace: namespace, event)
    }
}
