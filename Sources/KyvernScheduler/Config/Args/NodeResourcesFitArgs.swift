public import KyvernAPI

/// `NodeResourcesFitArgs`: the scoring strategy (and its resources and curve) and the resources
/// the filter ignores.
package struct NodeResourcesFitArgs: PluginArgs, Hashable {
    package var strategyType = "LeastAllocated"
    package var resources = ResourceSpecReader.defaults
    /// Set only when the file gives `requestedToCapacityRatio` (validation needs to tell).
    package var shape: [NodeResourcesFit.ShapePoint]?
    package var ignoredResources: [String] = []
    package var ignoredResourceGroups: [String] = []

    static let strategyTypes = ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"]

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "ignoredResources",
                                                       "ignoredResourceGroups", "scoringStrategy"]) ?? [:]
        for (key, target) in [("ignoredResources", \Self.ignoredResources),
                              ("ignoredResourceGroups", \Self.ignoredResourceGroups)] {
            let items = reader.array(fields[key], path.child(key)) ?? []
            self[keyPath: target] = items.enumerated().map { reader.string($1, path.child(key).index($0)) ?? "" }
        }
        let strategyPath = path.child("scoringStrategy")
        guard let strategy = reader.object(fields["scoringStrategy"], strategyPath,
                                           known: ["type", "resources", "requestedToCapacityRatio"]) else { return }
        // A strategy given without a type stays empty: upstream only defaults a missing strategy.
        strategyType = reader.string(strategy["type"], strategyPath.child("type")) ?? ""
        let resources = ResourceSpecReader.read(strategy["resources"], strategyPath.child("resources"), &reader) ?? []
        self.resources = resources.isEmpty ? ResourceSpecReader.defaults : resources
        let ratioPath = strategyPath.child("requestedToCapacityRatio")
        if let ratio = reader.object(strategy["requestedToCapacityRatio"], ratioPath, known: ["shape"]) {
            let points = reader.array(ratio["shape"], ratioPath.child("shape")) ?? []
            shape = points.enumerated().map { i, item in
                let pointPath = ratioPath.child("shape").index(i)
                let point = reader.object(item, pointPath, known: ["utilization", "score"]) ?? [:]
                return NodeResourcesFit.ShapePoint(
                    utilization: reader.int64(point["utilization"], pointPath.child("utilization")) ?? 0,
                    score: reader.int64(point["score"], pointPath.child("score")) ?? 0)
            }
        }
    }

    package func validate(path: FieldPath) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for (i, name) in ignoredResources.enumerated() {
            let field = path.child("ignoredResources").index(i).description
            causes += NameValidation.isQualifiedName(name).map { .invalid(field, .string(name), $0) }
        }
        for (i, group) in ignoredResourceGroups.enumerated() {
            let field = path.child("ignoredResourceGroups").index(i).description
            if group.contains("/") { causes.append(.invalid(field, .string(group), "resource group name can't contain '/'")) }
            causes += NameValidation.isQualifiedName(group).map { .invalid(field, .string(group), $0) }
        }
        let strategyPath = path.child("scoringStrategy")
        if !Self.strategyTypes.contains(strategyType) {
            causes.append(.notSupported(strategyPath.child("type").description, .string(strategyType),
                                        supported: Self.strategyTypes))
        }
        causes += ShapeValidation.resources(resources, strategyPath.child("resources"))
        let ratioPath = strategyPath.child("requestedToCapacityRatio")
        if strategyType == "RequestedToCapacityRatio" {
            if let shape {
                causes += ShapeValidation.shape(shape, ratioPath.child("shape"))
            } else {
                causes.append(.required(ratioPath.description, "must be specified when type is RequestedToCapacityRatio"))
            }
        } else if shape != nil {
            causes.append(.forbidden(ratioPath.description, "must be nil when type is not RequestedToCapacityRatio"))
        }
        return causes
    }

    /// The plugin's strategy (only meaningful once validated).
    package var strategy: NodeResourcesFit.Strategy {
        switch strategyType {
        case "MostAllocated": .mostAllocated
        case "RequestedToCapacityRatio": .requestedToCapacityRatio(shape: shape ?? [])
        default: .leastAllocated
        }
    }
}

/// Upstream's checks of resource weights and of a utilization → score curve.
enum ShapeValidation {
    /// Upstream's `MaxCustomPriorityScore`: the curve's scores are 0...10.
    static let maxScore: Int64 = 10

    static func resources(_ resources: [NodeResourcesFit.ResourceWeight], _ path: FieldPath) -> [APIError.Cause] {
        resources.enumerated().compactMap { i, resource in
            guard resource.weight <= 0 || resource.weight > 100 else { return nil }
            return .invalid(path.index(i).child("weight").description, .int(resource.weight),
                            "resource weight of \(resource.name) not in valid range (0, 100]")
        }
    }

    static func shape(_ shape: [NodeResourcesFit.ShapePoint], _ path: FieldPath) -> [APIError.Cause] {
        if shape.isEmpty { return [.required(path.description, "at least one point must be specified")] }
        var causes: [APIError.Cause] = []
        for i in 1..<max(shape.count, 1) where shape[i - 1].utilization >= shape[i].utilization {
            causes.append(.invalid(path.index(i).child("utilization").description, .int(shape[i].utilization),
                                   "values must be sorted in increasing order"))
            break
        }
        for (i, point) in shape.enumerated() {
            if point.utilization < 0 || point.utilization > 100 {
                causes.append(.invalid(path.index(i).child("utilization").description, .int(point.utilization),
                                       "not in valid range [0, 100]"))
            }
            if point.score < 0 || point.score > maxScore {
                causes.append(.invalid(path.index(i).child("score").description, .int(point.score),
                                       "not in valid range [0, \(maxScore)]"))
            }
        }
        return causes
    }
}
