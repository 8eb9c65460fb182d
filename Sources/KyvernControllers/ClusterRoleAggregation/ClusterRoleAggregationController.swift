import KyvernAPI
import KyvernClient
import Logging

/// Upstream's clusterrole-aggregation controller: an aggregated ClusterRole's rules are the rules
/// of the ClusterRoles its `aggregationRule` selects, kept current as those roles change.
struct ClusterRoleAggregationController: Reconciler {
    static let name = "clusterrole-aggregation"

    let client: any KubernetesClient
    let roles: any ObjectCache
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        guard let role = await roles.get(namespace: nil, name: key.name),
              let rules = ClusterRoleAggregation.rules(for: role, among: await roles.list(namespace: nil)) else { return }
        guard (role["rules"]?.arrayValue ?? []) != rules else { return }
        var updated = role
        updated["rules"] = .array(rules)
        logger.info("aggregating cluster role", metadata: ["clusterrole": "\(key.name)", "rules": "\(rules.count)"])
        _ = try await client.update(.clusterRoles, updated)
    }

    static let definition = ControllerDefinition(name: name, aliases: ["clusterrole-aggregation-controller"]) { context in
        let informer = await context.informer(for: .clusterRoles)
        let queue = context.makeQueue()
        let lister = informer.lister
        // Any role's change may change any aggregated role: requeue every aggregated one.
        await informer.addHandler { _ in
            for role in await lister.list(namespace: nil) where role["aggregationRule"] != nil {
                await queue.add(ObjectKey(namespace: nil, name: role.name ?? ""))
            }
        }
        let controller = ClusterRoleAggregationController(client: context.client, roles: lister, logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
