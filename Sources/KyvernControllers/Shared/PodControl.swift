import KyvernAPI
import KyvernClient
import Logging

/// Creates, deletes and patches the pods a controller owns, recording the Events upstream records.
///
/// Shared by every pod-owning controller so `SuccessfulCreate`, `FailedCreate` and
/// `SuccessfulDelete` read the same everywhere.
struct PodControl: Sendable {
    let client: any KubernetesClient
    let recorder: EventRecorder

    /// The cause type the API gives when a namespace being deleted refuses new objects.
    static let namespaceTerminatingCause = "NamespaceTerminating"

    /// Creates one pod from `template`, owned by `owner` through `controllerRef`; returns it.
    @discardableResult
    func createPod(from template: JSONValue?, owner: JSONValue, controllerRef: ControllerRef) async throws -> JSONValue {
        let namespace = owner.namespace ?? ""
        let pod = PodTemplate.pod(from: template, namespace: namespace, ownerName: owner.name ?? "",
                                  controllerRef: controllerRef)
        if pod.labels.isEmpty {
            throw APIError(code: 500, reason: "InternalError", message: "unable to create pods, no labels")
        }
        do {
            let created = try await client.create(.pods, namespace: namespace, pod, options: WriteOptions())
            await recorder.record(owner, .normal, reason: "SuccessfulCreate", message: "Created pod: \(created.name ?? "")")
            return created
        } catch {
            if !Self.isNamespaceTerminating(error) {
                await recorder.record(owner, .warning, reason: "FailedCreate",
                                      message: "Error creating: \(errorText(error))")
            }
            throw error
        }
    }

    /// Deletes the pod `name` of `owner`'s namespace.
    func deletePod(namespace: String, name: String, owner: JSONValue) async throws {
        do {
            try await client.delete(.pods, namespace: namespace, name: name, options: DeleteOptions())
        } catch {
            if (error as? APIError)?.code != 404 {
                await recorder.record(owner, .warning, reason: "FailedDelete",
                                      message: "Error deleting: \(errorText(error))")
            }
            throw error
        }
        await recorder.record(owner, .normal, reason: "SuccessfulDelete", message: "Deleted pod: \(name)")
    }

    /// A strategic-merge patch of a pod (adoption and release).
    func patchPod(namespace: String, name: String, _ patch: JSONValue) async throws {
        _ = try await client.patch(.pods, namespace: namespace, name: name, subresource: nil, type: .strategicMerge,
                                   patch, options: WriteOptions())
    }

    static func isNamespaceTerminating(_ error: any Error) -> Bool {
        (error as? APIError)?.details?.causes.contains { $0.type == namespaceTerminatingCause } ?? false
    }
}
