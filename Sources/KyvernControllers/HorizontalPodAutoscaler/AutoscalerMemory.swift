import Foundation

/// What the controller remembers between syncs of each autoscaler (as upstream keeps it in
/// memory): recent recommendations for stabilization and recent scale changes for rate limits.
actor AutoscalerMemory {
    private var recommendations: [String: [ScalingDecision.Recommendation]] = [:]
    private var events: [String: ScaleEvents] = [:]

    func recommendations(_ key: String) -> [ScalingDecision.Recommendation] { recommendations[key] ?? [] }
    func setRecommendations(_ key: String, _ value: [ScalingDecision.Recommendation]) { recommendations[key] = value }
    func events(_ key: String) -> ScaleEvents { events[key] ?? ScaleEvents() }
    func setEvents(_ key: String, _ value: ScaleEvents) { events[key] = value }

    func forget(_ key: String) {
        recommendations[key] = nil
        events[key] = nil
    }
}
