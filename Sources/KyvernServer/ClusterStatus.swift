import Foundation
import KyvernAPI
import KyvernClient
public import Logging

/// `kyvern status`, shaped like `minikube status`: the server process, the node agent of this
/// machine, the API's readiness and the kubeconfig, each Running/Stopped (or Configured), with
/// minikube's exit code bits: 1 the server, 2 the node agent, 4 the API server is not running.
public struct ClusterStatus: Sendable, Equatable {
    public var server: String
    public var agent: String
    public var apiServer: String
    public var kubeconfig: String
    public var kubeconfigPath: String

    public static let running = "Running"
    public static let stopped = "Stopped"

    /// minikube's status exit code: a bit per component that is not running.
    public var exitCode: Int32 {
        (server == Self.running ? 0 : 1) | (agent == Self.running ? 0 : 2) | (apiServer == Self.running ? 0 : 4)
    }

    /// The report, one `name: state` line each.
    public var text: String {
        """
        kyvern
        type: Control Plane
        server: \(server)
        agent: \(agent)
        apiserver: \(apiServer)
        kubeconfig: \(kubeconfig)

        """
    }

    /// Asks the server named by `DATA/kubeconfig.yaml` (or `kubeconfig`) as its user: `/livez`
    /// for the process, `/readyz` for the API, and the node named `nodeName` for the agent.
    public static func probe(dataDirectory: String?, kubeconfig: String?, nodeName: String?,
                             logger: Logger) async -> ClusterStatus {
        let data = dataDirectory ?? ServerOptions.defaultDataDirectory()
        let path = kubeconfig ?? (data as NSString).appendingPathComponent("kubeconfig.yaml")
        var status = ClusterStatus(server: stopped, agent: stopped, apiServer: stopped, kubeconfig: "Missing",
                                   kubeconfigPath: path)
        guard FileManager.default.fileExists(atPath: path) else { return status }
        let configuration: ClientConfiguration
        do {
            configuration = try Kubeconfig.load(path: path).configuration(userAgent: "kyvern-status/v1.36.0 (linux) kubernetes/kyvern")
        } catch {
            status.kubeconfig = "Misconfigured"
            return status
        }
        status.kubeconfig = "Configured"
        let node = nodeName ?? AgentOptions.defaultNodeName()
        do {
            let (server, apiServer, agent, accepted) = try await APIClient.using(configuration, logger: logger) { client in
                let live = try await client.probe("/livez")
                // The server answers, but not to these credentials.
                if live.status == 401 || live.status == 403 { return (running, stopped, stopped, false) }
                let ready = try await client.probe("/readyz")
                let agent: String
                do {
                    let object = try await client.get(.nodes, namespace: nil, name: node)
                    let conditions = object[path: ["status", "conditions"]]?.arrayValue ?? []
                    let readyCondition = conditions.first { $0["type"]?.stringValue == "Ready" }
                    agent = readyCondition?["status"]?.stringValue == "True" ? running : "NotReady"
                } catch let error as APIError where error.code == 404 {
                    agent = stopped
                }
                return (live.status == 200 ? running : "Error", ready.status == 200 ? running : "Error", agent, true)
            }
            status.server = server
            status.apiServer = apiServer
            status.agent = agent
            if !accepted { status.kubeconfig = "Misconfigured" }
        } catch {
            // Nothing answers at the kubeconfig's address: everything is stopped.
            logger.debug("status probe failed", metadata: ["error": "\(error)"])
        }
        return status
    }
}
