import KyvernClient
import KyvernNetwork
import Logging
import ServiceLifecycle

/// The services a node runs once its pod network is set up: they need the node's pod range and
/// bridge address, which ``NodeNetwork`` learns first.
enum NodeNetworkServices {
    static func make(client: any KubernetesClient, facts: NodeNetworkFacts, options: AgentOptions,
                     logger: Logger) throws -> [any Service] {
        []
    }
}
