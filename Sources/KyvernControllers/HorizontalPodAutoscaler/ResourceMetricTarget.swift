import KyvernAPI

/// One `Resource` metric of an autoscaler's spec: the resource and its target, as a
/// utilization percentage of the pods' requests or an average quantity per pod.
struct ResourceMetricTarget: Sendable, Equatable {
    enum Target: Sendable, Equatable {
        case utilization(Int)
        /// Milli-units (millicores, millibytes), as metrics are summed.
        case averageValue(Int64)
    }

    var resource: String
    var target: Target

    /// The spec's Resource metrics; other metric types need adapters this cluster does not serve.
    /// An autoscaling/v1 object keeps its one CPU target in `targetCPUUtilizationPercentage`.
    static func all(in hpa: JSONValue) -> [ResourceMetricTarget] {
        if let percent = hpa[path: ["spec", "targetCPUUtilizationPercentage"]]?.intValue {
            return [ResourceMetricTarget(resource: "cpu", target: .utilization(Int(percent)))]
        }
        return (hpa[path: ["spec", "metrics"]]?.arrayValue ?? []).compactMap { metric in
            guard metric["type"]?.stringValue == "Resource", let resource = metric[path: ["resource", "name"]]?.stringValue,
                  let target = metric[path: ["resource", "target"]] else { return nil }
            switch target["type"]?.stringValue {
            case "Utilization":
                guard let percent = target["averageUtilization"]?.intValue else { return nil }
                return ResourceMetricTarget(resource: resource, target: .utilization(Int(percent)))
            case "AverageValue":
                guard let value = target["averageValue"].flatMap(Self.milli) else { return nil }
                return ResourceMetricTarget(resource: resource, target: .averageValue(value))
            default:
                return nil
            }
        }
    }

    /// A quantity (string or number) in milli-units.
    static func milli(_ value: JSONValue) -> Int64? {
        if let text = value.stringValue { return (try? Quantity(parsing: text))?.milliValue }
        if let int = value.intValue { return int * 1000 }
        if case .double(let d) = value { return Int64(d * 1000) }
        return nil
    }

    /// How upstream names the metric in conditions and events.
    var description: String {
        switch target {
        case .utilization: "\(resource) resource utilization (percentage of request)"
        case .averageValue: "\(resource) resource"
        }
    }
}
