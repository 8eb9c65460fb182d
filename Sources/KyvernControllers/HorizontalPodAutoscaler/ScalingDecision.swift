import Foundation

/// Turns the metrics' recommendation into the replica count to set: stabilized over the
/// behavior's windows (the lowest recent recommendation for scale-up, the highest for
/// scale-down), then bounded by the rate policies and min/max replicas.
struct ScalingDecision: Sendable, Equatable {
    struct Recommendation: Sendable, Equatable {
        var replicas: Int
        var time: Date
    }

    var replicas: Int
    /// AbleToScale's reason and message when stabilization held the recommendation back.
    var stabilized: (reason: String, message: String)?
    /// ScalingLimited's reason and message, and whether the limit applied.
    var limit: (reason: String, message: String)
    var limited: Bool

    static func == (a: ScalingDecision, b: ScalingDecision) -> Bool {
        a.replicas == b.replicas && a.stabilized?.reason == b.stabilized?.reason && a.limit.reason == b.limit.reason && a.limited == b.limited
    }

    static func decide(recommended: Int, current: Int, minReplicas: Int, maxReplicas: Int, up: ScalingRules, down: ScalingRules,
                       history: inout [Recommendation], events: ScaleEvents, now: Date) -> ScalingDecision {
        var upRecommendation = recommended
        var downRecommendation = recommended
        for past in history {
            if past.time > now.addingTimeInterval(-Double(up.stabilizationWindowSeconds)) { upRecommendation = min(upRecommendation, past.replicas) }
            if past.time > now.addingTimeInterval(-Double(down.stabilizationWindowSeconds)) { downRecommendation = max(downRecommendation, past.replicas) }
        }
        var stabilizedReplicas = current
        if stabilizedReplicas < upRecommendation { stabilizedReplicas = upRecommendation }
        if stabilizedReplicas > downRecommendation { stabilizedReplicas = downRecommendation }
        let longest = max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds)
        history.removeAll { $0.time <= now.addingTimeInterval(-Double(longest)) }
        history.append(Recommendation(replicas: recommended, time: now))

        var stabilized: (String, String)?
        if stabilizedReplicas != recommended {
            stabilized = stabilizedReplicas > recommended
                ? ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
                : ("ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
        }

        var desired = stabilizedReplicas
        var limit = ("DesiredWithinRange", "the desired count is within the acceptable range")
        var limited = false
        if desired > current {
            let rate = max(up.scaleUpLimit(current: current, events: events, now: now), current)
            var maximum = maxReplicas
            var reason = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
            if maximum > rate {
                maximum = rate
                reason = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            }
            if desired > maximum { desired = maximum; limit = reason; limited = true }
        } else if desired < current {
            let rate = min(down.scaleDownLimit(current: current, events: events, now: now), current)
            var minimum = minReplicas
            var reason = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
            if minimum < rate {
                minimum = rate
                reason = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
            }
            if desired < minimum { desired = minimum; limit = reason; limited = true }
        }
        // A target already outside [min, max] is brought back inside whatever the metrics say.
        if desired > maxReplicas { desired = maxReplicas; limit = ("TooManyReplicas", "the desired replica count is more than the maximum replica count"); limited = true }
        if desired < minReplicas { desired = minReplicas; limit = ("TooFewReplicas", "the desired replica count is less than the minimum replica count"); limited = true }
        return ScalingDecision(replicas: desired, stabilized: stabilized, limit: limit, limited: limited)
    }
}
