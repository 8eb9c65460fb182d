import KyvernAPI
import KyvernClient
import Logging

/// Gives every Node without a pod range a /24 of the cluster range (upstream's node IPAM
/// controller with the range allocator): patches `spec.podCIDR` and `spec.podCIDRs`, keeps the
/// ranges nodes already have (ranges outside the cluster range, such as simulated nodes' own,
/// are left alone and not tracked), and frees a deleted node's range. When the cluster range is
/// exhausted the node gets upstream's `CIDRNotAvailable` event and is retried with backoff.
struct NodeIPAMController: Reconciler {
    static let name = "nodeipam"
    static let component = "cidrAllocator"

    let client: any KubernetesClient
    let nodes: any ObjectCache
    let allocator: NodeCIDRAllocator
    let recorder: EventRecorder
    let logger: Logger

    init(client: any KubernetesClient, nodes: any ObjectCache, cidr: ClusterCIDR, logger: Logger) {
        self.client = client
        self.nodes = nodes
        self.allocator = NodeCIDRAllocator(cidr: cidr)
        self.recorder = EventRecorder(client: client, component: Self.component, logger: logger)
        self.logger = logger
    }

    /// The node's `spec.podCIDR`, nil when unset or empty.
    static func podCIDR(of node: JSONValue) -> String? {
        guard let range = node[path: ["spec", "podCIDR"]]?.stringValue, !range.isEmpty else { return nil }
        return range
    }

    func reconcile(_ key: ObjectKey) async throws {
        await allocator.primeOnce { await nodes.list(namespace: nil) }
        guard let node = await nodes.get(namespace: nil, name: key.name) else {
            await allocator.release(node: key.name)
            return
        }
        if let range = Self.podCIDR(of: node) {
            if !(await allocator.occupy(range, node: key.name)) {
                logger.warning("node carries a pod range another node holds", metadata: ["node": "\(key.name)", "podCIDR": "\(range)"])
            }
            return
        }
        guard node.deletionTimestamp == nil else { return }
        guard let range = await allocator.allocate(node: key.name) else {
            // Upstream's status-change event: type Normal, the node's name as its uid.
            let reference: JSONValue = ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(key.name), "uid": .string(key.name)]]
            await recorder.normal(reference, reason: "CIDRNotAvailable", message: "Node \(key.name) status is now: CIDRNotAvailable")
            throw NodeIPAMError.exhausted(node: key.name)
        }
        let patch: JSONValue = ["spec": ["podCIDR": .string(range), "podCIDRs": [.string(range)]]]
        do {
            _ = try await client.patch(.nodes, name: key.name, subresource: nil, type: .strategicMerge, patch, options: WriteOptions())
            logger.info("allocated pod range", metadata: ["node": "\(key.name)", "podCIDR": "\(range)"])
        } catch let error as APIError where error.code == 404 {
            await allocator.release(node: key.name)
        } catch {
            await allocator.release(node: key.name)
            throw error
        }
    }
}

enum NodeIPAMError: Error, CustomStringConvertible {
    case exhausted(node: String)

    var description: String {
        switch self {
        case .exhausted(let node): "failed to allocate cidr for node \(node): cidr set is full"
        }
    }
}
