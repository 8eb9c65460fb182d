public import KyvernAPI

/// `PodTopologySpreadArgs`: the constraints applied to pods that declare none.
///
/// `System` defaulting uses upstream's built-in constraints (hostname skew 3, zone skew 5, both
/// ScheduleAnyway); `List` uses `defaultConstraints` (an empty list switches defaulting off).
package struct PodTopologySpreadArgs: PluginArgs, Hashable {
    package struct Constraint: Sendable, Hashable {
        package var maxSkew: Int32
        package var topologyKey: String
        package var whenUnsatisfiable: String
        /// Kept to refuse it: default constraints take their selector from each pod.
        package var hasLabelSelector = false

        package init(maxSkew: Int32, topologyKey: String, whenUnsatisfiable: String) {
            self.maxSkew = maxSkew
            self.topologyKey = topologyKey
            self.whenUnsatisfiable = whenUnsatisfiable
        }
    }

    package var defaultingType = "System"
    package var defaultConstraints: [Constraint] = []
    /// The constraints as the file gives them, for the plugin that reads them as pod constraints.
    package var defaultConstraintsJSON: [JSONValue] = []

    /// Upstream's system default constraints.
    package static let systemDefaultConstraints = [
        Constraint(maxSkew: 3, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway"),
        Constraint(maxSkew: 5, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway"),
    ]

    /// What a pod without constraints of its own is spread by.
    package var effectiveDefaultConstraints: [Constraint] {
        defaultingType == "System" ? Self.systemDefaultConstraints : defaultConstraints
    }

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "defaultConstraints", "defaultingType"]) ?? [:]
        let type = reader.string(fields["defaultingType"], path.child("defaultingType")) ?? ""
        defaultingType = type.isEmpty ? "System" : type
        let items = reader.array(fields["defaultConstraints"], path.child("defaultConstraints")) ?? []
        defaultConstraintsJSON = items
        defaultConstraints = items.enumerated().map { i, item in
            let itemPath = path.child("defaultConstraints").index(i)
            let c = reader.object(item, itemPath, known: [
                "maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains",
                "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys",
            ]) ?? [:]
            var constraint = Constraint(
                maxSkew: reader.int32(c["maxSkew"], itemPath.child("maxSkew")) ?? 0,
                topologyKey: reader.string(c["topologyKey"], itemPath.child("topologyKey")) ?? "",
                whenUnsatisfiable: reader.string(c["whenUnsatisfiable"], itemPath.child("whenUnsatisfiable")) ?? "")
            constraint.hasLabelSelector = c["labelSelector"].map { !$0.isNull } ?? false
            return constraint
        }
    }

    package func validate(path: FieldPath) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let typePath = path.child("defaultingType").description
        if defaultingType != "System" && defaultingType != "List" {
            causes.append(.notSupported(typePath, .string(defaultingType), supported: ["System", "List"]))
        } else if defaultingType == "System" && !defaultConstraints.isEmpty {
            causes.append(.invalid(typePath, .string(defaultingType), "when .defaultConstraints are not empty"))
        }
        let listPath = path.child("defaultConstraints")
        for (i, c) in defaultConstraints.enumerated() {
            let p = listPath.index(i)
            if c.maxSkew <= 0 {
                causes.append(.invalid(p.child("maxSkew").description, .int(Int64(c.maxSkew)), "not in valid range (0, inf)"))
            }
            let keyPath = p.child("topologyKey").description
            if c.topologyKey.isEmpty {
                causes.append(.required(keyPath, "can not be empty"))
            } else {
                causes += NameValidation.isQualifiedName(c.topologyKey).map { .invalid(keyPath, .string(c.topologyKey), $0) }
            }
            let whenPath = p.child("whenUnsatisfiable").description
            if c.whenUnsatisfiable.isEmpty {
                causes.append(.required(whenPath, "can not be empty"))
            } else if c.whenUnsatisfiable != "DoNotSchedule" && c.whenUnsatisfiable != "ScheduleAnyway" {
                causes.append(.notSupported(whenPath, .string(c.whenUnsatisfiable),
                                            supported: ["DoNotSchedule", "ScheduleAnyway"]))
            }
            if c.hasLabelSelector {
                causes.append(.forbidden(p.child("labelSelector").description,
                                         "constraint must not define a selector, as they deduced for each pod"))
            }
            if defaultConstraints[..<i].contains(where: { $0.topologyKey == c.topologyKey && $0.whenUnsatisfiable == c.whenUnsatisfiable }) {
                causes.append(.duplicate(p.description, .string("{\(c.topologyKey), \(c.whenUnsatisfiable)}")))
            }
        }
        return causes
    }
}
