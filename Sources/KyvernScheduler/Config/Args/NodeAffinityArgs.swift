public import KyvernAPI

/// `NodeAffinityArgs`: node affinity added to every pod of the profile (on top of the pod's own),
/// e.g. to keep a second scheduler's pods on its own nodes.
package struct NodeAffinityArgs: PluginArgs, Hashable {
    /// Terms of which a node must match one (nil: nothing added).
    package var requiredTerms: [NodeSelectorTerm]?
    package var preferred: [PreferredTerm] = []

    package struct PreferredTerm: Sendable, Hashable {
        package var weight: Int64
        package var term: NodeSelectorTerm
    }

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "addedAffinity"]) ?? [:]
        let affinityPath = path.child("addedAffinity")
        guard let affinity = reader.object(fields["addedAffinity"], affinityPath, known: [
            "requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution",
        ]) else { return }
        let requiredPath = affinityPath.child("requiredDuringSchedulingIgnoredDuringExecution")
        if let required = reader.object(affinity["requiredDuringSchedulingIgnoredDuringExecution"], requiredPath,
                                        known: ["nodeSelectorTerms"]) {
            let terms = reader.array(required["nodeSelectorTerms"], requiredPath.child("nodeSelectorTerms")) ?? []
            requiredTerms = terms.map(NodeSelectorTerm.init(json:))
        }
        let preferredPath = affinityPath.child("preferredDuringSchedulingIgnoredDuringExecution")
        let items = reader.array(affinity["preferredDuringSchedulingIgnoredDuringExecution"], preferredPath) ?? []
        preferred = items.enumerated().map { i, item in
            let itemPath = preferredPath.index(i)
            let entry = reader.object(item, itemPath, known: ["weight", "preference"]) ?? [:]
            return PreferredTerm(weight: reader.int64(entry["weight"], itemPath.child("weight")) ?? 0,
                                 term: NodeSelectorTerm(json: entry["preference"] ?? .object([:])))
        }
    }

    /// Upstream refuses selectors it cannot evaluate: unknown operators, `In`/`NotIn` without
    /// values, `Exists`/`DoesNotExist` with values, `Gt`/`Lt` without one integer.
    package func validate(path: FieldPath) -> [APIError.Cause] {
        let affinityPath = path.child("addedAffinity")
        var causes: [APIError.Cause] = []
        if let requiredTerms {
            let termsPath = affinityPath.child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
            for (i, term) in requiredTerms.enumerated() {
                causes += Self.validate(term, termsPath.index(i))
            }
        }
        let preferredPath = affinityPath.child("preferredDuringSchedulingIgnoredDuringExecution")
        for (i, entry) in preferred.enumerated() {
            causes += Self.validate(entry.term, preferredPath.index(i).child("preference"))
        }
        return causes
    }

    static func validate(_ term: NodeSelectorTerm, _ path: FieldPath) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for (i, r) in term.expressions.enumerated() {
            let p = path.child("matchExpressions").index(i)
            switch r.op {
            case "In", "NotIn":
                if r.values.isEmpty { causes.append(.required(p.child("values").description, "must be specified when `operator` is 'In' or 'NotIn'")) }
            case "Exists", "DoesNotExist":
                if !r.values.isEmpty { causes.append(.forbidden(p.child("values").description, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")) }
            case "Gt", "Lt":
                if r.values.count != 1 {
                    causes.append(.required(p.child("values").description, "must be specified single value when `operator` is 'Lt' or 'Gt'"))
                } else if Int64(r.values[0]) == nil {
                    causes.append(.invalid(p.child("values").index(0).description, .string(r.values[0]), "must be an integer"))
                }
            default:
                causes.append(.invalid(p.child("operator").description, .string(r.op), "not a valid selector operator"))
            }
            causes += NameValidation.isQualifiedName(r.key).map { .invalid(p.child("key").description, .string(r.key), $0) }
        }
        for (i, r) in term.fields.enumerated() {
            let p = path.child("matchFields").index(i)
            if r.key != "metadata.name" {
                causes.append(.invalid(p.child("key").description, .string(r.key), "not a valid field selector key"))
            }
            if r.op != "In" && r.op != "NotIn" {
                causes.append(.invalid(p.child("operator").description, .string(r.op), "not a valid selector operator"))
            } else if r.values.count != 1 {
                causes.append(.required(p.child("values").description, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
            }
        }
        return causes
    }
}
