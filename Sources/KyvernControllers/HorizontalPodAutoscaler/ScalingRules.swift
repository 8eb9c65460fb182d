import Foundation
import KyvernAPI

/// One direction of an autoscaler's `behavior`: its stabilization window and rate policies,
/// with upstream's defaults filled in where the spec leaves them out.
struct ScalingRules: Sendable, Equatable {
    struct Policy: Sendable, Equatable {
        enum Kind: String, Sendable { case pods = "Pods", percent = "Percent" }
        var kind: Kind
        var value: Int
        var periodSeconds: Int
    }

    enum Select: String, Sendable { case max = "Max", min = "Min", disabled = "Disabled" }

    var stabilizationWindowSeconds: Int
    var select: Select
    var policies: [Policy]

    /// Scale up at once, by at most 4 pods or 100% per 15 seconds, whichever is more.
    static let defaultUp = ScalingRules(stabilizationWindowSeconds: 0, select: .max, policies: [
        Policy(kind: .pods, value: 4, periodSeconds: 15), Policy(kind: .percent, value: 100, periodSeconds: 15),
    ])

    /// Scale down after the highest recommendation of `window` seconds, by up to 100% per 15 seconds.
    static func defaultDown(window: Int) -> ScalingRules {
        ScalingRules(stabilizationWindowSeconds: window, select: .max, policies: [Policy(kind: .percent, value: 100, periodSeconds: 15)])
    }

    static func up(_ hpa: JSONValue) -> ScalingRules {
        parse(hpa[path: ["spec", "behavior", "scaleUp"]], defaults: .defaultUp)
    }

    static func down(_ hpa: JSONValue, defaultWindow: Int) -> ScalingRules {
        parse(hpa[path: ["spec", "behavior", "scaleDown"]], defaults: .defaultDown(window: defaultWindow))
    }

    private static func parse(_ rules: JSONValue?, defaults: ScalingRules) -> ScalingRules {
        guard let rules, rules != .null else { return defaults }
        var result = defaults
        if let window = rules["stabilizationWindowSeconds"]?.intValue { result.stabilizationWindowSeconds = Int(window) }
        if let select = rules["selectPolicy"]?.stringValue.flatMap(Select.init(rawValue:)) { result.select = select }
        if let policies = rules["policies"]?.arrayValue {
            result.policies = policies.compactMap { p in
                guard let kind = p["type"]?.stringValue.flatMap(Policy.Kind.init(rawValue:)), let value = p["value"]?.intValue,
                      let period = p["periodSeconds"]?.intValue else { return nil }
                return Policy(kind: kind, value: Int(value), periodSeconds: Int(period))
            }
        }
        return result
    }

    /// The longest policy period: older scale events no longer limit anything.
    var longestPeriod: Int { policies.map(\.periodSeconds).max() ?? 0 }

    /// The most replicas a scale-up may reach now, given the changes already made in each
    /// policy's period.
    func scaleUpLimit(current: Int, events: ScaleEvents, now: Date) -> Int {
        if select == .disabled { return current }
        var result = select == .min ? Int.max : Int.min
        for policy in policies {
            let added = events.change(up: true, withinSeconds: policy.periodSeconds, now: now)
            let deleted = events.change(up: false, withinSeconds: policy.periodSeconds, now: now)
            let start = current - added + deleted
            let proposed = switch policy.kind {
            case .pods: start + policy.value
            case .percent: Int((Double(start) * (1 + Double(policy.value) / 100)).rounded(.up))
            }
            result = select == .min ? min(result, proposed) : max(result, proposed)
        }
        return result
    }

    /// The fewest replicas a scale-down may reach now.
    func scaleDownLimit(current: Int, events: ScaleEvents, now: Date) -> Int {
        if select == .disabled { return current }
        var result = select == .min ? Int.min : Int.max
        for policy in policies {
            let added = events.change(up: true, withinSeconds: policy.periodSeconds, now: now)
            let deleted = events.change(up: false, withinSeconds: policy.periodSeconds, now: now)
            let start = current + deleted - added
            let proposed = switch policy.kind {
            case .pods: start - policy.value
            case .percent: Int(Double(start) * (1 - Double(policy.value) / 100))
            }
            result = select == .min ? max(result, proposed) : min(result, proposed)
        }
        return result
    }
}

/// The scale changes an autoscaler made recently, which the rate policies count.
struct ScaleEvents: Sendable, Equatable {
    struct Event: Sendable, Equatable {
        var change: Int
        var time: Date
    }

    var up: [Event] = []
    var down: [Event] = []

    func change(up isUp: Bool, withinSeconds seconds: Int, now: Date) -> Int {
        let cutoff = now.addingTimeInterval(-Double(seconds))
        return (isUp ? up : down).filter { $0.time > cutoff }.reduce(0) { $0 + $1.change }
    }

    mutating func record(from current: Int, to desired: Int, at now: Date, keepUp: Int, keepDown: Int) {
        up.removeAll { $0.time <= now.addingTimeInterval(-Double(keepUp)) }
        down.removeAll { $0.time <= now.addingTimeInterval(-Double(keepDown)) }
        if desired > current { up.append(Event(change: desired - current, time: now)) }
        if desired < current { down.append(Event(change: current - desired, time: now)) }
    }
}
