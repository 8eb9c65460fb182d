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
        // Named `<object>.<nanoseconds in hex>` as upstream's recorder names them, from the wall
        // clock (not the injectable one) so events of one instant still get distinct names.
        let nanos = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000))
        let stamp = Timestamp.format(time)
        var event: JSONValue = [
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
        for attempt in 1...3 {
            do {
                _ = try await client.create(.events, namespace: namespace, event)
                return
            } catch let error as APIError where error.code == 409 && attempt < 3 {
                event.setMetadata("name", .string("\(name).\(String(nanos &+ UInt64(attempt), radix: 16))"))
            } catch {
                logger.debug("could not record event", metadata: ["namespace": "\(namespace)", "name": "\(name)",
                                                                  "reason": "\(reason)", "error": "\(error)"])
                return
            }
        }
    }
}
