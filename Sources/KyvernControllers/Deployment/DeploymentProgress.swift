import Foundation
import KyvernAPI

/// The Deployment's status and its `Available`/`Progressing` conditions, computed from its
/// ReplicaSets as upstream does; `now` is passed in so tests fix the clock.
enum DeploymentProgress {
    /// Counts summed over the ReplicaSets, the previous conditions, and `Available` re-evaluated.
    static func calculateStatus(_ deployment: DeploymentObject, allRSs: [ReplicaSetObject], newRS: ReplicaSetObject?,
                                now: Date) -> DeploymentStatus {
        let previous = deployment.status
        let available = allRSs.totalAvailableReplicas
        var status = DeploymentStatus()
        status.observedGeneration = deployment.generation
        status.replicas = allRSs.totalStatusReplicas
        status.updatedReplicas = newRS?.statusReplicas ?? 0
        status.readyReplicas = allRSs.totalReadyReplicas
        status.availableReplicas = available
        status.unavailableReplicas = max(0, allRSs.totalReplicas - available)
        let terminating = allRSs.compactMap(\.terminatingReplicas)
        status.terminatingReplicas = terminating.isEmpty ? nil : terminating.reduce(0, +)
        status.collisionCount = previous.collisionCount
        status.conditions = previous.conditions
        let stamp = Timestamp.format(now)
        if available >= deployment.replicas - deployment.maxUnavailable {
            status.setCondition(DeploymentCondition(type: "Available", status: "True",
                                                    reason: DeploymentReason.minimumReplicasAvailable.text,
                                                    message: "Deployment has minimum availability.", now: stamp))
        } else {
            status.setCondition(DeploymentCondition(type: "Available", status: "False",
                                                    reason: DeploymentReason.minimumReplicasUnavailable.text,
                                                    message: "Deployment does not have minimum availability.", now: stamp))
        }
        return status
    }

    /// Every pod runs the current template, is available, and the spec has been observed.
    static func isComplete(_ deployment: DeploymentObject, _ status: DeploymentStatus) -> Bool {
        status.updatedReplicas == deployment.replicas && status.replicas == deployment.replicas
            && status.availableReplicas == deployment.replicas && status.observedGeneration >= deployment.generation
    }

    /// Something moved since the stored status: more updated, ready or available pods, or fewer old ones.
    static func isProgressing(_ deployment: DeploymentObject, _ status: DeploymentStatus) -> Bool {
        let old = deployment.status
        return status.updatedReplicas > old.updatedReplicas
            || (status.replicas - status.updatedReplicas) < (old.replicas - old.updatedReplicas)
            || status.readyReplicas > old.readyReplicas
            || status.availableReplicas > old.availableReplicas
    }

    /// No progress reported for `progressDeadlineSeconds` since the Progressing condition's last update.
    static func isTimedOut(_ deployment: DeploymentObject, _ status: DeploymentStatus, now: Date) -> Bool {
        guard deployment.hasProgressDeadline, let seconds = deployment.progressDeadlineSeconds,
              let condition = status.condition("Progressing") else { return false }
        if condition.reason == DeploymentReason.newReplicaSetAvailable.text { return false }
        if condition.reason == DeploymentReason.progressDeadlineExceeded.text { return true }
        guard let from = Timestamp.parse(condition.lastUpdateTime) else { return false }
        return from.addingTimeInterval(TimeInterval(seconds)) < now
    }

    /// Upstream's `syncRolloutStatus` without the write: the status plus the Progressing verdict
    /// (complete, progressing, or timed out) and ReplicaSet failures surfaced as `ReplicaFailure`.
    static func rolloutStatus(_ deployment: DeploymentObject, allRSs: [ReplicaSetObject], newRS: ReplicaSetObject?,
                              now: Date) -> DeploymentStatus {
        var status = calculateStatus(deployment, allRSs: allRSs, newRS: newRS, now: now)
        if !deployment.hasProgressDeadline { status.removeCondition("Progressing") }
        let current = deployment.status.condition("Progressing")
        let stamp = Timestamp.format(now)
        let isCompleteRollout = status.replicas == status.updatedReplicas
            && current?.reason == DeploymentReason.newReplicaSetAvailable.text
        if deployment.hasProgressDeadline && !isCompleteRollout {
            let subject = newRS.map { "ReplicaSet \(goQuote($0.name))" } ?? "Deployment \(goQuote(deployment.name))"
            if isComplete(deployment, status) {
                status.setCondition(DeploymentCondition(type: "Progressing", status: "True",
                                                        reason: DeploymentReason.newReplicaSetAvailable.text,
                                                        message: "\(subject) has successfully progressed.", now: stamp))
            } else if isProgressing(deployment, status) {
                var condition = DeploymentCondition(type: "Progressing", status: "True",
                                                    reason: DeploymentReason.replicaSetUpdated.text,
                                                    message: "\(subject) is progressing.", now: stamp)
                if let current {
                    if current.status == "True" { condition.lastTransitionTime = current.lastTransitionTime }
                    status.removeCondition("Progressing")
                }
                status.setCondition(condition)
            } else if isTimedOut(deployment, status, now: now) {
                status.setCondition(DeploymentCondition(type: "Progressing", status: "False",
                                                        reason: DeploymentReason.progressDeadlineExceeded.text,
                                                        message: "\(subject) has timed out progressing.", now: stamp))
            }
        }
        if let failure = replicaFailure(allRSs: allRSs, newRS: newRS) {
            status.setCondition(failure)
        } else {
            status.removeCondition("ReplicaFailure")
        }
        return status
    }

    /// The first `ReplicaFailure` condition of the new ReplicaSet, else of any ReplicaSet.
    static func replicaFailure(allRSs: [ReplicaSetObject], newRS: ReplicaSetObject?) -> DeploymentCondition? {
        let candidates = (newRS.map { [$0] } ?? []) + allRSs
        for rs in candidates {
            for c in rs.conditions where c["type"]?.stringValue == "ReplicaFailure" {
                let time = c["lastTransitionTime"]?.stringValue ?? ""
                var condition = DeploymentCondition(type: "ReplicaFailure", status: c["status"]?.stringValue ?? "",
                                                    reason: c["reason"]?.stringValue ?? "",
                                                    message: c["message"]?.stringValue ?? "", now: time)
                condition.lastUpdateTime = time
                return condition
            }
        }
        return nil
    }

    /// When a stuck rollout must be looked at again to notice its deadline passing; nil if never.
    static func progressCheckDelay(_ deployment: DeploymentObject, _ status: DeploymentStatus, now: Date) -> Duration? {
        guard deployment.hasProgressDeadline, let seconds = deployment.progressDeadlineSeconds,
              let current = deployment.status.condition("Progressing") else { return nil }
        if isComplete(deployment, status) || current.reason == DeploymentReason.progressDeadlineExceeded.text { return nil }
        guard let from = Timestamp.parse(current.lastUpdateTime) else { return nil }
        let after = from.addingTimeInterval(TimeInterval(seconds)).timeIntervalSince(now)
        if after < 1 { return .zero }
        // One second more, so the check lands after the deadline despite sub-second skew.
        return .milliseconds(Int64((after + 1) * 1000))
    }

    /// Upstream's `checkPausedConditions`: Progressing turns Unknown/DeploymentPaused when paused
    /// and Unknown/DeploymentResumed when resumed, so time spent paused never counts as no progress.
    /// nil when nothing changes.
    static func pausedConditionUpdate(_ deployment: DeploymentObject, now: Date) -> DeploymentStatus? {
        guard deployment.progressDeadlineSeconds != nil else { return nil }
        var status = deployment.status
        let current = status.condition("Progressing")
        if current?.reason == DeploymentReason.progressDeadlineExceeded.text { return nil }
        let pausedExists = current?.reason == DeploymentReason.deploymentPaused.text
        let stamp = Timestamp.format(now)
        if deployment.paused && !pausedExists {
            status.setCondition(DeploymentCondition(type: "Progressing", status: "Unknown",
                                                    reason: DeploymentReason.deploymentPaused.text,
                                                    message: "Deployment is paused", now: stamp))
        } else if !deployment.paused && pausedExists {
            status.setCondition(DeploymentCondition(type: "Progressing", status: "Unknown",
                                                    reason: DeploymentReason.deploymentResumed.text,
                                                    message: "Deployment is resumed", now: stamp))
        } else {
            return nil
        }
        return status
    }
}
