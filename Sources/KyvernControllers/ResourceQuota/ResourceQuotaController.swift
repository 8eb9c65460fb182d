import KyvernAPI
import KyvernClient
import Logging

/// Upstream's resourcequota controller: each quota's `status.hard` mirrors its spec and
/// `status.used` is recounted from the namespace's pods, services, config maps, secrets and
/// claims whenever one of them or the quota changes (admission refuses from a live count; this
/// keeps the status that `kubectl describe quota` shows).
struct ResourceQuotaController: Reconciler {
    static let name = "resourcequota"
    /// The resources counted, with their caches.
    static let counted: [ResourceRef] = [.pods, .services, .configMaps, .secrets, .persistentVolumeClaims]

    let client: any KubernetesClient
    let quotas: any ObjectCache
    let objects: [(ref: ResourceRef, cache: any ObjectCache)]
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws {
        guard let quota = await quotas.get(namespace: key.namespace, name: key.name) else { return }
        let namespace = key.namespace ?? ""
        let hard = quota[path: ["spec", "hard"]]?.objectValue ?? [:]
        let tracked = Set(hard.keys)
        var used: [String: JSONValue] = quota[path: ["status", "used"]]?.objectValue?.filter { tracked.contains($0.key) } ?? [:]
        var counted: [[String: Quantity]] = []
        for (ref, cache) in objects {
            for object in await cache.list(namespace: namespace) {
                counted.append(QuotaUsage.usage(of: object, group: ref.group, resource: ref.resource))
            }
        }
        // Resource quotas count themselves too.
        for other in await quotas.list(namespace: namespace) {
            counted.append(QuotaUsage.usage(of: other, group: "", resource: "resourcequotas"))
        }
        let countable = Set(counted.flatMap(\.keys)).union(Self.alwaysCountable)
        for (name, value) in QuotaUsage.total(counted, tracked: tracked) where countable.contains(name) {
            used[name] = .string(value.description)
        }
        let status: JSONValue = ["hard": .object(hard), "used": .object(used)]
        guard quota["status"] != status else { return }
        var updated = quota
        updated["status"] = status
        _ = try await client.updateStatus(.resourceQuotas, namespace: namespace, updated)
    }

    /// Names whose total is known to be zero when no object produced them.
    static let alwaysCountable: Set<String> = [
        "pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "resourcequotas", "cpu", "memory",
        "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "requests.storage", "services.nodeports",
        "services.loadbalancers", "requests.ephemeral-storage", "limits.ephemeral-storage", "ephemeral-storage",
        "count/pods", "count/services", "count/configmaps", "count/secrets", "count/persistentvolumeclaims",
    ]

    static let definition = ControllerDefinition(name: name, aliases: ["resourcequota-controller"]) { context in
        let quotaInformer = await context.informer(for: .resourceQuotas)
        let queue = context.makeQueue()
        let quotaLister = quotaInformer.lister
        await quotaInformer.addHandler { event in
            let object = event.object
            await queue.add(ObjectKey(namespace: object.namespace, name: object.name ?? ""))
        }
        var caches: [(ref: ResourceRef, cache: any ObjectCache)] = []
        for ref in counted {
            let informer = await context.informer(for: ref)
            caches.append((ref, informer.lister))
            await informer.addHandler { event in
                guard let namespace = event.object.namespace else { return }
                for quota in await quotaLister.list(namespace: namespace) {
                    await queue.add(ObjectKey(namespace: namespace, name: quota.name ?? ""))
                }
            }
        }
        let controller = ResourceQuotaController(client: context.client, quotas: quotaLister, objects: caches,
                                                 logger: context.logger)
        return context.runner(controller, queue: queue)
    }
}
