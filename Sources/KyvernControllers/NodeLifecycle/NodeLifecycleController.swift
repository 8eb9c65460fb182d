import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Watches node health (upstream's node lifecycle controller): a node whose Lease and Ready
/// heartbeat stay unchanged for `--node-monitor-grace-period` gets its kubelet-owned conditions
/// set to Unknown; every node carries the NoSchedule taints its conditions and `unschedulable`
/// call for, and a not-ready or unreachable NoExecute taint while Ready is False or Unknown. New
/// NoExecute taints are paced per zone (``ZoneEvictionLimiter``); the taint eviction controller
/// then removes the pods that do not tolerate them.
struct NodeLifecycleController: Reconciler {
    static let name = "nodelifecycle"
    static let component = "node-controller"
    static let leaseNamespace = "kube-node-lease"

    let client: any KubernetesClient
    let nodes: any ObjectCache
    let leases: any ObjectCache
    /// Pods, indexed by node name (``CacheIndex/nodeName``).
    let pods: any ObjectCache
    let options: ControllerManagerOptions
    let probes = NodeProbeRecords()
    let limiter = ZoneEvictionLimiter()
    let zones = ZoneDisruptionState()
    /// Nodes whose pods could not all be marked not ready; tried again on the node's next sync.
    let podsToRetry = NodeNameSet()
    let queue: ControllerQueue?
    let recorder: EventRecorder
    let logger: Logger
    let now: @Sendable () -> Date

    init(client: any KubernetesClient, nodes: any ObjectCache, leases: any ObjectCache, pods: any ObjectCache,
         options: ControllerManagerOptions, queue: ControllerQueue?, logger: Logger,
         now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.nodes = nodes
        self.leases = leases
        self.pods = pods
        self.options = options
        self.queue = queue
        self.logger = logger
        self.now = now
        self.recorder = EventRecorder(client: client, component: Self.component, logger: logger)
    }

    func reconcile(_ key: ObjectKey) async throws {
        guard var node = await nodes.get(namespace: nil, name: key.name) else {
            await probes.forget(node: key.name)
            return
        }
        let now = now()
        let lease = await leases.get(namespace: Self.leaseNamespace, name: key.name)
        let heard = await probes.observe(node: key.name, leaseRenewTime: lease?[path: ["spec", "renewTime"]]?.stringValue,
                                         readyHeartbeat: NodeConditions.readyHeartbeat(node), now: now)
        let grace = NodeConditions.readyStatus(node) == nil ? options.nodeStartupGracePeriod : options.nodeMonitorGracePeriod
        let silent = Duration.seconds(now.timeIntervalSince(heard))
        if silent > grace {
            let wasReady = NodeConditions.readyStatus(node) == "True"
            if let conditions = NodeConditions.markedUnknown(node, now: now) {
                node[path: ["status", "conditions"]] = .array(conditions)
                node = try await client.updateStatus(.nodes, node, options: WriteOptions())
                logger.info("node stopped reporting", metadata: ["node": "\(key.name)", "silentFor": "\(silent)"])
                await recorder.normal(Self.reference(key.name), reason: "NodeNotReady",
                                      message: "Node \(key.name) status is now: NodeNotReady")
                if wasReady { await podsToRetry.insert(key.name) }
            }
            if await podsToRetry.contains(key.name) {
                try await markPodsNotReady(node: key.name, now: now)
            }
        } else {
            // Look again the moment the grace period would run out without news.
            await queue?.addAfter(key, delay: grace - silent + .milliseconds(10))
        }
        try await reconcileTaints(node, key: key, now: now)
    }

    /// Sets Ready=False on every pod bound to the silent node whose Ready is True (upstream's
    /// MarkPodsNotReady, with its Warning event per pod). A pod that could not be written keeps the
    /// node in ``podsToRetry`` and fails the sync, so it is tried again with backoff.
    func markPodsNotReady(node: String, now: Date) async throws {
        var failure: (any Error)?
        for pod in await pods.list(index: .nodeName, value: node) {
            guard pod[path: ["spec", "nodeName"]]?.stringValue == node,
                  let conditions = PodReadiness.markedNotReady(pod, now: now) else { continue }
            var updated = pod
            updated[path: ["status", "conditions"]] = .array(conditions)
            do {
                _ = try await client.updateStatus(.pods, namespace: pod.namespace, updated)
                await recorder.warning(pod, reason: "NodeNotReady", message: "Node is not ready")
            } catch let error as APIError where error.code == 404 {
                continue
            } catch {
                logger.info("could not mark a pod not ready", metadata: ["pod": "\(ObjectKey(pod))", "error": "\(error)"])
                failure = error
            }
        }
        if let failure { throw failure }
        await podsToRetry.remove(node)
    }

    /// Brings the node's managed taints in line with its conditions; a NoExecute taint on a node
    /// that has none waits for its zone's eviction limiter.
    func reconcileTaints(_ node: JSONValue, key: ObjectKey, now: Date) async throws {
        var noExecute = NodeTaints.desiredNoExecute(node)
        let disruption = await zones.current
        if disruption.allFullyDisrupted {
            noExecute = nil
        } else if noExecute != nil, NodeTaints.currentNoExecute(node).isEmpty {
            let zone = ZoneState.zoneKey(of: node)
            if let wait = await limiter.acquire(zone: zone, rate: disruption.evictionRate(zone: zone, options: options),
                                                now: now, retry: options.nodeMonitorPeriod) {
                noExecute = nil
                await queue?.addAfter(key, delay: wait)
            }
        }
        let current = NodeTaints.taints(of: node)
        let desired = NodeTaints.reconciled(current, noSchedule: NodeTaints.desiredNoSchedule(node), noExecute: noExecute, now: now)
        guard desired != current else { return }
        var updated = node
        updated[path: ["spec", "taints"]] = desired.isEmpty ? nil : .array(desired)
        _ = try await client.update(.nodes, updated, options: WriteOptions())
        logger.info("node taints updated", metadata: ["node": "\(key.name)",
                                                      "taints": "\(desired.compactMap { $0["key"]?.stringValue })"])
    }

    /// Recomputes every zone's state from all nodes (upstream does so on each monitor pass).
    func refreshZones() async {
        let disruption = ZoneDisruption(nodes: await nodes.list(namespace: nil),
                                        unhealthyThreshold: options.unhealthyZoneThreshold)
        let previous = await zones.replace(with: disruption)
        for (zone, state) in disruption.states where previous.states[zone] != state {
            logger.info("zone state changed", metadata: ["zone": "\(zone.replacingOccurrences(of: "\u{0}", with: ""))",
                                                         "state": "\(state.rawValue)"])
        }
    }

    static func reference(_ node: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(node), "uid": .string(node)]]
    }
}

/// The zone states of the last monitor pass, shared by the reconcile workers.
actor ZoneDisruptionState {
    private(set) var current = ZoneDisruption()

    func replace(with disruption: ZoneDisruption) -> ZoneDisruption {
        defer { current = disruption }
        return current
    }
}

/// Node names, shared by the controller's workers.
actor NodeNameSet {
    private var names: Set<String> = []
    func insert(_ name: String) { names.insert(name) }
    func remove(_ name: String) { names.remove(name) }
    func contains(_ name: String) -> Bool { names.contains(name) }
}
