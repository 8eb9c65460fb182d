public import KyvernAPI

/// `maxSurge` and `maxUnavailable` resolved against the desired replica count.
///
/// Each is an int or a percentage string; upstream rounds surge up and unavailability down, and if
/// both come out 0 (validation forbids that explicitly, so only through rounding, e.g. surge 0 and
/// unavailable 10% of 5) it allows one unavailable pod so a rollout can still make progress.
public enum RolloutBounds {
    public static func resolve(maxSurge: JSONValue?, maxUnavailable: JSONValue?, desired: Int) -> (surge: Int, unavailable: Int) {
        let surge = (try? scaledValue(maxSurge ?? 0, total: desired, roundUp: true)) ?? 0
        var unavailable = (try? scaledValue(maxUnavailable ?? 0, total: desired, roundUp: false)) ?? 0
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }

    public struct InvalidValue: Error, Sendable, Hashable {
        public var message: String
    }

    /// An IntOrString scaled against `total`: ints as they are, "N%" as N% of total rounded as asked.
    public static func scaledValue(_ value: JSONValue, total: Int, roundUp: Bool) throws(InvalidValue) -> Int {
        if let int = value.intValue { return Int(int) }
        guard let text = value.stringValue else {
            throw InvalidValue(message: "invalid value for IntOrString: invalid type: \(value.jsonTypeName)")
        }
        guard text.hasSuffix("%"), let percent = Int(text.dropLast()) else {
            throw InvalidValue(message: "invalid value for IntOrString: invalid type: string is not a percentage")
        }
        let product = percent * total
        if roundUp {
            return product >= 0 ? (product + 99) / 100 : -((-product) / 100)
        }
        return product >= 0 ? product / 100 : -((-product + 99) / 100)
    }
}
