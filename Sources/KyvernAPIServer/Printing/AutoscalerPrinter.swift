import KyvernAPI

/// HorizontalPodAutoscalers: REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE. TARGETS shows each
/// metric as current/target ("cpu: 40%/80%", "<unknown>" before it is measured), two at most.
enum AutoscalerPrinter {
    static func row(_ h: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = h["spec"] ?? [:]
        let reference = "\(spec.text("scaleTargetRef", "kind"))/\(spec.text("scaleTargetRef", "name"))"
        let minPods = spec["minReplicas"]?.intValue.map { String($0) } ?? "<unset>"
        return PrintedRow(cells: [
            .string(h.printedName), .string(reference), .string(targets(h)), .string(minPods), .int(spec.number("maxReplicas")),
            .int(h.number("status", "currentReplicas")), .string(context.age(h)),
        ])
    }

    static func targets(_ h: JSONValue) -> String {
        // autoscaling/v1 keeps one CPU target in its own fields and the rest in annotations: its
        // v2 shape lists them all, as upstream prints them.
        let h = h.text("apiVersion") == "autoscaling/v1" ? ((try? AutoscalingV1Conversion.toV2(h)) ?? h) : h
        let specs = h.list("spec", "metrics")
        let statuses = h.list("status", "currentMetrics")
        if specs.isEmpty { return "<none>" }
        var list: [String] = []
        for (i, spec) in specs.enumerated() {
            let status: JSONValue? = i < statuses.count ? statuses[i] : nil
            switch spec.text("type") {
            case "External": list.append(valueOrAverage(spec["external"], status?["external"]))
            case "Object": list.append(valueOrAverage(spec["object"], status?["object"]))
            case "Pods":
                let current = status?["pods"].map { PrintFormat.quantity($0.at("current", "averageValue")) } ?? "<unknown>"
                list.append("\(current)/\(PrintFormat.quantity(spec.at("pods", "target", "averageValue")))")
            case "Resource": list.append(resource(spec["resource"], status?["resource"]))
            case "ContainerResource": list.append(resource(spec["containerResource"], status?["containerResource"]))
            default: list.append("<unknown type>")
            }
        }
        if list.count > 2 { return "\(list.prefix(2).joined(separator: ", ")) + \(list.count - 2) more..." }
        return list.joined(separator: ", ")
    }

    private static func valueOrAverage(_ spec: JSONValue?, _ status: JSONValue?) -> String {
        if let average = spec?.at("target", "averageValue"), !average.isNull {
            let current = status?.at("current", "averageValue").map { PrintFormat.quantity($0) } ?? "<unknown>"
            return "\(current)/\(PrintFormat.quantity(average)) (avg)"
        }
        let current = status.map { PrintFormat.quantity($0.at("current", "value")) } ?? "<unknown>"
        return "\(current)/\(PrintFormat.quantity(spec?.at("target", "value")))"
    }

    private static func resource(_ spec: JSONValue?, _ status: JSONValue?) -> String {
        let name = spec?.text("name") ?? ""
        if let average = spec?.at("target", "averageValue"), !average.isNull {
            let current = status.map { PrintFormat.quantity($0.at("current", "averageValue")) } ?? "<unknown>"
            return "\(name): \(current)/\(PrintFormat.quantity(average))"
        }
        let current = status?.at("current", "averageUtilization")?.intValue.map { "\($0)%" } ?? "<unknown>"
        let target = spec?.at("target", "averageUtilization")?.intValue.map { "\($0)%" } ?? "<auto>"
        return "\(name): \(current)/\(target)"
    }
}
