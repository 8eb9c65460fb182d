import Foundation
import KyvernAPI
import KyvernClient
import Logging

extension ResourceRef {
    static let horizontalPodAutoscalers = ResourceRef(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers", namespaced: true)
}

/// Upstream's horizontal pod autoscaler: every sync period, each autoscaler's resource
/// metrics give a replica recommendation, stabilized and rate-limited by its `behavior`, and
/// set through the target's scale subresource; status and conditions report what happened.
struct HorizontalPodAutoscalerController: Reconciler {
    static let name = "horizontalpodautoscaling"
    static let component = "horizontal-pod-autoscaler"

    let client: any KubernetesClient
    let autoscalers: any ObjectCache
    let pods: any ObjectCache
    let recorder: EventRecorder
    let memory: AutoscalerMemory
    let queue: ControllerQueue?
    let logger: Logger
    var syncPeriod: Duration = .seconds(15)
    var downscaleStabilization: Int = 300
    var calculator = ReplicaCalculator()
    var now: @Sendable () -> Date = { Date() }

    func reconcile(_ key: ObjectKey) async throws {
        let id = "\(key.namespace ?? "")/\(key.name)"
        guard let hpa = await autoscalers.get(namespace: key.namespace, name: key.name), hpa[path: ["metadata", "deletionTimestamp"]] == nil else {
            await memory.forget(id)
            return
        }
        await queue?.addAfter(key, delay: syncPeriod)
        try await sync(hpa, id: id)
    }

    func sync(_ hpa: JSONValue, id: String) async throws {
        let now = now()
        var status = hpa["status"] ?? [:]
        var conditions = AutoscalerConditions(status["conditions"]?.arrayValue ?? [], now: now)
        let minReplicas = Int(hpa[path: ["spec", "minReplicas"]]?.intValue ?? 1)
        let maxReplicas = Int(hpa[path: ["spec", "maxReplicas"]]?.intValue ?? 1)
        status["observedGeneration"] = hpa[path: ["metadata", "generation"]]

        guard let guessed = ScaleTarget.of(hpa) else { return }
        let target = await guessed.resolved(kind: hpa[path: ["spec", "scaleTargetRef", "kind"]]?.stringValue ?? "", using: client)
        let scale: JSONValue
        do {
            scale = try await target.get(client)
        } catch {
            let message = "the HPA controller was unable to get the target's current scale: \(errorText(error))"
            conditions.set("AbleToScale", false, reason: "FailedGetScale", message: message)
            await recorder.warning(hpa, reason: "FailedGetScale", message: errorText(error))
            try await write(hpa, status: status, conditions: conditions)
            return
        }
        conditions.set("AbleToScale", true, reason: "SucceededGetScale", message: "the HPA controller was able to get the target's current scale")
        let current = Int(scale[path: ["spec", "replicas"]]?.intValue ?? 0)
        status["currentReplicas"] = .int(Int64(scale[path: ["status", "replicas"]]?.intValue ?? 0))

        var desired = current
        var reason = ""
        var decision: ScalingDecision?
        if current == 0 && minReplicas != 0 {
            desired = 0
            conditions.set("ScalingActive", false, reason: "ScalingDisabled", message: "scaling is disabled since the replica count of the target is zero")
        } else if current > maxReplicas {
            desired = maxReplicas
            reason = "Current number of replicas above Spec.MaxReplicas"
        } else if current < minReplicas {
            desired = minReplicas
            reason = "Current number of replicas below Spec.MinReplicas"
        } else {
            let measured = await measure(hpa, scale: scale, current: current, now: now)
            if let metrics = measured.metrics { status["currentMetrics"] = .array(metrics) } else { status["currentMetrics"] = nil }
            guard let best = measured.best else {
                let message = "the HPA was unable to compute the replica count: \(measured.error ?? "no Resource metrics to compute")"
                conditions.set("ScalingActive", false, reason: measured.failureReason, message: message)
                await recorder.warning(hpa, reason: measured.failureReason, message: measured.error ?? "")
                status["desiredReplicas"] = .int(Int64(current))
                try await write(hpa, status: status, conditions: conditions)
                return
            }
            conditions.set("ScalingActive", true, reason: "ValidMetricFound",
                           message: "the HPA was able to successfully calculate a replica count from \(best.metric)")
            var history = await memory.recommendations(id)
            let made = ScalingDecision.decide(
                recommended: best.replicas, current: current, minReplicas: minReplicas, maxReplicas: maxReplicas,
                up: .up(hpa), down: .down(hpa, defaultWindow: downscaleStabilization), history: &history,
                events: await memory.events(id), now: now)
            await memory.setRecommendations(id, history)
            decision = made
            desired = made.replicas
            reason = desired > current ? "\(best.metric) above target" : "All metrics below target"
        }

        if desired != current {
            do {
                try await target.update(client, scale: scale, replicas: desired)
            } catch {
                conditions.set("AbleToScale", false, reason: "FailedUpdateScale",
                               message: "the HPA controller was unable to update the target scale: \(errorText(error))")
                await recorder.warning(hpa, reason: "FailedRescale", message: "New size: \(desired); reason: \(reason); error: \(errorText(error))")
                try await write(hpa, status: status, conditions: conditions)
                throw error
            }
            conditions.set("AbleToScale", true, reason: "SucceededRescale", message: "the HPA controller was able to update the target scale to \(desired)")
            await recorder.normal(hpa, reason: "SuccessfulRescale", message: "New size: \(desired); reason: \(reason)")
            var events = await memory.events(id)
            events.record(from: current, to: desired, at: now, keepUp: ScalingRules.up(hpa).longestPeriod,
                          keepDown: ScalingRules.down(hpa, defaultWindow: downscaleStabilization).longestPeriod)
            await memory.setEvents(id, events)
            status["lastScaleTime"] = .string(Timestamp.format(now))
        } else if let stabilized = decision?.stabilized {
            conditions.set("AbleToScale", true, reason: stabilized.reason, message: stabilized.message)
        } else if decision != nil {
            conditions.set("AbleToScale", true, reason: "ReadyForNewScale", message: "recommended size matches current size")
        }
        if let decision {
            conditions.set("ScalingLimited", decision.limited, reason: decision.limit.reason, message: decision.limit.message)
        }
        status["desiredReplicas"] = .int(Int64(desired))
        try await write(hpa, status: status, conditions: conditions)
    }

    struct Measurement {
        var best: (replicas: Int, metric: String)?
        var metrics: [JSONValue]?
        var error: String?
        var failureReason = "FailedGetResourceMetric"
    }

    /// Every Resource metric's proposal; the largest wins. Metrics that cannot be computed are
    /// skipped as long as another one can.
    func measure(_ hpa: JSONValue, scale: JSONValue, current: Int, now: Date) async -> Measurement {
        var result = Measurement()
        let targets = ResourceMetricTarget.all(in: hpa)
        guard !targets.isEmpty else {
            result.error = "no Resource metrics to compute"
            result.failureReason = "InvalidMetricSourceType"
            return result
        }
        let namespace = hpa.namespace ?? ""
        guard let selectorText = scale[path: ["status", "selector"]]?.stringValue,
              let selector = try? LabelSelector.parse(selectorText) else {
            result.error = "selector is required"
            result.failureReason = "InvalidSelector"
            return result
        }
        let pods = await pods.list(namespace: namespace).filter { selector.matches(labelsOf: $0) }
        let list: JSONValue
        do {
            list = try await PodResourceSamples.fetch(client, namespace: namespace)
        } catch {
            result.error = "failed to get \(targets[0].resource) utilization: unable to get metrics for resource \(targets[0].resource): unable to fetch metrics from resource metrics API: \(errorText(error))"
            return result
        }
        let names = Set(pods.compactMap(\.name))
        var statuses: [JSONValue] = []
        for target in targets {
            let samples = PodResourceSamples.samples(list, resource: target.resource).filter { names.contains($0.key) }
            do {
                let proposal = try calculator.replicas(currentReplicas: current, target: target, pods: pods, samples: samples, now: now)
                var currentValue: JSONValue = ["averageValue": .string(Quantity(milli: proposal.averageValue).description)]
                if let utilization = proposal.utilization { currentValue["averageUtilization"] = .int(Int64(utilization)) }
                statuses.append(["type": "Resource", "resource": ["name": .string(target.resource), "current": currentValue]])
                if result.best == nil || proposal.replicas > result.best!.replicas {
                    result.best = (proposal.replicas, target.description)
                }
            } catch {
                let what = if case .utilization = target.target { "utilization" } else { "usage" }
                result.error = "failed to get \(target.resource) \(what): \(error.description)"
            }
        }
        result.metrics = statuses.count == targets.count ? statuses : nil
        return result
    }

    private func write(_ hpa: JSONValue, status: JSONValue, conditions: AutoscalerConditions) async throws {
        var status = status
        status["conditions"] = .array(conditions.items)
        guard status != hpa["status"] else { return }
        var updated = hpa
        updated["status"] = status
        _ = try await client.updateStatus(.horizontalPodAutoscalers, namespace: hpa.namespace, updated, options: WriteOptions())
    }
}
