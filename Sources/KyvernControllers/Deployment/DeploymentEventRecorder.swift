import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Writes core/v1 Events about a Deployment, as upstream's recorder does for the
/// `deployment-controller` (what `kubectl describe deployment` lists under Events).
///
/// Recording is best effort: a failed Event write is logged and never fails a sync.
struct DeploymentEventRecorder: Sendable {
    static let component = "deployment-controller"

    let client: any KubernetesClient
    let logger: Logger
    let now: @Sendable () -> Date

    func normal(_ deployment: JSONValue, reason: String, message: String) async {
        await record(deployment, type: "Normal", reason: reason, message: message)
    }

    func warning(_ deployment: JSONValue, reason: String, message: String) async {
        await record(deployment, type: "Warning", reason: reason, message: message)
    }

    private func record(_ deployment: JSONValue, type: String, reason: String, message: String) async {
        let time = now()
        let name = deployment.name ?? ""
        let namespace = deployment.namespace ?? "default"
        let nanos = UInt64(max(0, time.timeIntervalSince1970 * 1_000_000_000))
        let stamp = Timestamp.format(time)
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(name).\(String(nanos, radix: 16))"), "namespace": .string(namespace)],
            "involvedObject": ["kind": "Deployment", "namespace": .string(namespace), "name": .string(name),
                               "uid": .string(deployment.uid ?? ""), "apiVersion": "apps/v1",
                               "resourceVersion": .string(deployment.resourceVersion ?? "")],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(Self.component)],
            "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": 1,
            "reportingComponent": .string(Self.component), "reportingInstance": "",
        ]
        do {
            _ = try await client.create(.events, namespace: namespace, event)
        } catch {
            logger.debug("could not record event", metadata: ["namespace": "\(namespace)", "name": "\(name)",
                                                              "reason": "\(reason)", "error": "\(error)"])
        }
    }
}
