import KyvernAPI
import KyvernClient
import Logging

/// The built-in service load balancer (k3s users know it as ServiceLB): gives every
/// `type: LoadBalancer` Service without a `loadBalancerClass` (or with `kyvern.io/service-lb`)
/// an address and writes it to `status.loadBalancer.ingress`; the service proxy on every node
/// then sends traffic for that address and port to the Service's endpoints.
///
/// With `--lb-address-pool` each Service gets one address of the pool; without it, every Service
/// shares the Ready nodes' addresses, one Service per port. The decision covers all Services at
/// once (``LoadBalancerPlan``), so the controller has a single work item.
struct ServiceLoadBalancerController: Reconciler {
    static let name = "service-lb-controller"
    static let component = "service-controller"
    /// The one work item: every event asks for the whole plan again.
    static let everything = ObjectKey(namespace: nil, name: "all-load-balancers")

    let client: any KubernetesClient
    let services: any ObjectCache
    let nodes: any ObjectCache
    let pool: LoadBalancerAddressPool
    let recorder: EventRecorder
    let queue: ControllerQueue?
    let logger: Logger
    /// The last pending reason told per Service, so a waiting Service gets one Warning, not one per sync.
    let told = PendingReasons()

    func reconcile(_ key: ObjectKey) async throws {
        let all = await services.list(namespace: nil)
        let addresses = pool.isEmpty ? LoadBalancerPlan.nodeAddresses(await nodes.list(namespace: nil)) : []
        let plan = LoadBalancerPlan(services: all, pool: pool, nodeAddresses: addresses)
        var failed: (any Error)?
        for service in all {
            let key = ObjectKey(service)
            guard let outcome = plan.outcomes[key] else { continue }
            do {
                try await apply(outcome, to: service)
            } catch let error as APIError where error.code == 404 {
                continue  // deleted meanwhile
            } catch {
                logger.info("could not write load balancer status", metadata: ["service": "\(key)", "error": "\(error)"])
                failed = error
            }
        }
        await told.keepOnly { if case .pending = plan.outcomes[$0] { true } else { false } }
        if let failed { throw failed }
    }

    private func apply(_ outcome: LoadBalancerPlan.Outcome, to service: JSONValue) async throws {
        let key = ObjectKey(service)
        let desired = LoadBalancerPlan.status(for: outcome)
        let unchanged = (service[path: ["status", "loadBalancer"]] ?? [:]) == desired
        if case .pending(let reason) = outcome {
            if await told.remember(reason, for: key) {
                logger.info("load balancer pending", metadata: ["service": "\(key)", "reason": "\(reason)"])
                await recorder.warning(service, reason: "SyncLoadBalancerFailed",
                                       message: "Error syncing load balancer: \(reason)")
            }
            // As upstream's service controller: a Service that cannot be served keeps the status it
            // has (none, or one someone else wrote); only an assignment or a release writes.
            return
        }
        if unchanged { return }
        if case .assigned = outcome {
            await recorder.normal(service, reason: "EnsuringLoadBalancer", message: "Ensuring load balancer")
        }
        var updated = service
        updated[path: ["status", "loadBalancer"]] = desired
        _ = try await client.updateStatus(.services, namespace: key.namespace, updated)
        switch outcome {
        case .assigned(let ips):
            logger.info("load balancer ensured", metadata: ["service": "\(key)", "addresses": "\(ips.joined(separator: ","))"])
            await recorder.normal(service, reason: "EnsuredLoadBalancer", message: "Ensured load balancer")
        case .released:
            await recorder.normal(service, reason: "DeletedLoadBalancer", message: "Deleted load balancer")
        case .pending:
            break
        }
    }
}

/// The pending reason last told per Service.
actor PendingReasons {
    private var reasons: [ObjectKey: String] = [:]

    /// Records `reason`; true when it differs from the last one told for `key`.
    func remember(_ reason: String, for key: ObjectKey) -> Bool {
        defer { reasons[key] = reason }
        return reasons[key] != reason
    }

    func keepOnly(_ keep: (ObjectKey) -> Bool) {
        reasons = reasons.filter { keep($0.key) }
    }
}
