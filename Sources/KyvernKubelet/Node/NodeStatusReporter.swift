import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import Logging

/// Registers this machine's Node and keeps it fresh as upstream's kubelet does: the Lease renewed
/// every 10 s, the status computed every 10 s and written only when it changed (or 5 minutes
/// passed since the last write).
actor NodeStatusReporter {
    let client: any KubernetesClient
    let runtime: any ContainerRuntime
    let clock: any AgentClock
    let logger: Logger
    let readings: @Sendable () -> NodeReadings
    /// The claim-backed volumes this node's pods use now (``PodVolumeManaging/volumesInUse()``).
    let volumesInUse: @Sendable () async -> [String]
    var builder: NodeObjectBuilder
    let thresholds = EvictionThresholds()
    private(set) var nodeUID: String?
    /// The last status written (without heartbeats) and when.
    private var lastReported: JSONValue?
    private var lastReportedAt: Date?
    private var lastConditions: [JSONValue] = []

    static let leaseDurationSeconds: Int64 = 40
    static let renewInterval: Duration = .seconds(10)
    static let statusUpdateInterval: Duration = .seconds(10)
    static let statusReportInterval: TimeInterval = 300

    init(client: any KubernetesClient, runtime: any ContainerRuntime, builder: NodeObjectBuilder, clock: any AgentClock,
         logger: Logger, readings: @escaping @Sendable () -> NodeReadings,
         volumesInUse: @escaping @Sendable () async -> [String] = { [] }) {
        self.client = client
        self.volumesInUse = volumesInUse
        self.runtime = runtime
        self.builder = builder
        self.clock = clock
        self.logger = logger
        self.readings = readings
    }

    var nodeName: String { builder.nodeName }
    var internalIP: String { builder.machine.internalIP }

    /// The conditions as they stand now: pressure from fresh readings, Ready from the runtime.
    func currentConditionState() async -> NodeConditionState {
        let sample = readings()
        var state = NodeConditionState(memoryPressure: thresholds.memoryPressure(sample),
                                       diskPressure: thresholds.diskPressure(sample),
                                       pidPressure: thresholds.pidPressure(sample))
        do {
            let version = try await runtime.version()
            builder.runtimeVersion = version.nodeInfoString
        } catch {
            state.notReadyMessage = "container runtime is down"
        }
        return state
    }

    /// Creates the Node, or brings an existing one of this name to our labels and status.
    func register() async throws {
        let now = clock.now()
        lastConditions = await currentConditionState().conditions(heartbeat: now, previous: [])
        var desired = builder.node(conditions: lastConditions)
        let inUse = await volumesInUse()
        desired["status"] = builder.status(conditions: lastConditions, volumesInUse: inUse)
        do {
            var delay = Duration.milliseconds(200)
            var created: JSONValue
            while true {
                do {
                    created = try await client.create(.nodes, namespace: nil, desired, options: .init())
                    break
                } catch where Retry.isTransient(error) {
                    logger.warning("registering node failed, retrying", metadata: ["error": "\(error)"])
                    try await clock.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
            nodeUID = created[path: ["metadata", "uid"]]?.stringValue
        } catch let error where error.apiCode == 409 {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    let existing = try await client.get(.nodes, namespace: nil, name: nodeName)
                    lastConditions = await currentConditionState().conditions(
                        heartbeat: now, previous: existing[path: ["status", "conditions"]]?.arrayValue ?? [])
                    var node = builder.node(conditions: lastConditions)
                    node["status"] = builder.status(conditions: lastConditions, volumesInUse: inUse)
                    let wanted = NodeBuilder.replacing(existing: existing, with: node)
                    var updated = try await client.update(.nodes, namespace: nil, wanted, options: .init())
                    updated["status"] = wanted["status"]
                    _ = try await client.updateStatus(.nodes, namespace: nil, updated, options: .init())
                    nodeUID = updated[path: ["metadata", "uid"]]?.stringValue
                    break
                } catch let error where error.apiCode == 409 && attempt < 5 {
                    continue
                }
            }
        }
        lastReported = NodeObjectBuilder.comparable(builder.status(conditions: lastConditions, volumesInUse: inUse))
        lastReportedAt = now
        logger.info("node registered", metadata: ["node": "\(nodeName)", "ip": "\(internalIP)"])
    }

    /// One status round: recompute; write when something changed or the report is 5 minutes old.
    /// Returns whether it wrote.
    @discardableResult
    func updateStatus() async throws -> Bool {
        let now = clock.now()
        let conditions = await currentConditionState().conditions(heartbeat: now, previous: lastConditions)
        let status = builder.status(conditions: conditions, volumesInUse: await volumesInUse())
        let comparable = NodeObjectBuilder.comparable(status)
        let stale = lastReportedAt.map { now.timeIntervalSince($0) >= Self.statusReportInterval } ?? true
        guard comparable != lastReported || stale else { return false }
        var patch = status
        // The last volume gone: a merge patch only drops what it names as null.
        if status["volumesInUse"] == nil && lastReported?["volumesInUse"] != nil { patch["volumesInUse"] = JSONValue.null }
        _ = try await client.patch(.nodes, namespace: nil, name: nodeName, subresource: "status", type: .strategicMerge,
                                   ["status": patch], options: .init())
        lastConditions = conditions
        lastReported = comparable
        lastReportedAt = now
        return true
    }

    /// One Lease renewal: a merge patch of its spec, or a create when it is missing.
    func renewLease() async throws {
        let now = clock.now()
        let spec: JSONValue = [
            "holderIdentity": .string(nodeName),
            "leaseDurationSeconds": .int(Self.leaseDurationSeconds),
            "renewTime": .string(Timestamp.formatMicro(now)),
        ]
        do {
            _ = try await client.patch(.leases, namespace: NodeLeaseBuilder.namespace, name: nodeName, subresource: nil,
                                       type: .merge, ["spec": spec], options: .init())
        } catch let error where error.apiCode == 404 {
            var lease = NodeLeaseBuilder.lease(node: nodeName, nodeUID: nodeUID, renewTime: now)
            lease["spec"] = spec
            _ = try await client.create(.leases, namespace: NodeLeaseBuilder.namespace, lease, options: .init())
        }
    }

    /// Renews the Lease every 10 s until cancelled; failures are logged and retried next round.
    func leaseLoop() async throws {
        while true {
            do {
                try await renewLease()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("failed to renew node lease", metadata: ["error": "\(error)"])
            }
            try await clock.sleep(for: Self.renewInterval)
        }
    }

    /// Recomputes the status every 10 s until cancelled.
    func statusLoop() async throws {
        while true {
            try await clock.sleep(for: Self.statusUpdateInterval)
            do {
                try await updateStatus()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("failed to update node status", metadata: ["error": "\(error)"])
            }
        }
    }
}
