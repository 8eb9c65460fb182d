import KyvernAPI
import KyvernClient

/// Adds or removes one finalizer with an update carrying the object's resourceVersion, so a change
/// decided on a stale copy is a conflict (and a retry) rather than a lost write. An object already
/// gone is not an error.
enum FinalizerUpdate {
    static func set(_ finalizer: String, present: Bool, on object: JSONValue, _ ref: ResourceRef,
                    client: any KubernetesClient) async throws {
        var updated = object
        var finalizers = object.finalizers.filter { $0 != finalizer }
        if present { finalizers.append(finalizer) }
        updated[path: ["metadata", "finalizers"]] = .array(finalizers.map(JSONValue.string))
        do {
            _ = try await client.update(ref, namespace: object.namespace, updated)
        } catch let error as APIError where error.code == 404 {
            return
        }
    }
}
