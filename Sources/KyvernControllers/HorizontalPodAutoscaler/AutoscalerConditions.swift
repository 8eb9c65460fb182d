import Foundation
import KyvernAPI

/// The status conditions AbleToScale, ScalingActive and ScalingLimited, in that order; a
/// condition's transition time moves only when its status does.
struct AutoscalerConditions: Sendable {
    private(set) var items: [JSONValue]
    let now: Date

    init(_ existing: [JSONValue], now: Date) {
        items = existing
        self.now = now
    }

    mutating func set(_ type: String, _ status: Bool, reason: String, message: String) {
        let value = status ? "True" : "False"
        var condition: JSONValue = ["type": .string(type), "status": .string(value), "reason": .string(reason),
                                    "message": .string(message), "lastTransitionTime": .string(Timestamp.format(now))]
        if let index = items.firstIndex(where: { $0["type"]?.stringValue == type }) {
            if items[index]["status"]?.stringValue == value, let time = items[index]["lastTransitionTime"] {
                condition["lastTransitionTime"] = time
            }
            items[index] = condition
        } else {
            items.append(condition)
        }
        let order = ["AbleToScale", "ScalingActive", "ScalingLimited"]
        items.sort { (order.firstIndex(of: $0["type"]?.stringValue ?? "") ?? 9) < (order.firstIndex(of: $1["type"]?.stringValue ?? "") ?? 9) }
    }
}
