import Foundation
import KyvernAPI

/// Upstream's naming rules for CustomResourceDefinitions: within one group every plural,
/// singular, short name, kind and list kind belongs to one definition. A definition's requested
/// names are accepted field by field; a field taken by another definition keeps its previously
/// accepted value, and `NamesAccepted` says which conflict held it back.
enum CustomResourceDefinitionNames {
    struct Outcome: Equatable, Sendable {
        var acceptedNames: JSONValue
        /// nil when every name was accepted.
        var conflict: (reason: String, message: String)?

        static func == (a: Outcome, b: Outcome) -> Bool {
            a.acceptedNames == b.acceptedNames && a.conflict?.reason == b.conflict?.reason
                && a.conflict?.message == b.conflict?.message
        }
    }

    /// The names `crd` may use, given the other definitions of the cluster.
    static func accept(_ crd: JSONValue, others: [JSONValue]) -> Outcome {
        let group = crd[path: ["spec", "group"]]?.stringValue ?? ""
        let requested = crd[path: ["spec", "names"]] ?? [:]
        let old = crd[path: ["status", "acceptedNames"]] ?? [:]
        var taken: (plurals: Set<String>, singulars: Set<String>, shortNames: Set<String>, kinds: Set<String>, listKinds: Set<String>)
            = ([], [], [], [], [])
        let name = crd[path: ["metadata", "name"]]?.stringValue
        for other in others where other[path: ["metadata", "name"]]?.stringValue != name
            && other[path: ["spec", "group"]]?.stringValue == group {
            let names = other[path: ["status", "acceptedNames"]] ?? [:]
            if let value = names["plural"]?.stringValue, !value.isEmpty { taken.plurals.insert(value) }
            if let value = names["singular"]?.stringValue, !value.isEmpty { taken.singulars.insert(value) }
            for short in names["shortNames"]?.arrayValue ?? [] { if let s = short.stringValue { taken.shortNames.insert(s) } }
            if let value = names["kind"]?.stringValue, !value.isEmpty { taken.kinds.insert(value) }
            if let value = names["listKind"]?.stringValue, !value.isEmpty { taken.listKinds.insert(value) }
        }
        var accepted = old
        if case .object = accepted {} else { accepted = [:] }
        var conflict: (String, String)?
        func take(_ field: String, _ set: Set<String>, reason: String) {
            guard let value = requested[field]?.stringValue, !value.isEmpty else {
                if field == "singular" || field == "listKind" { accepted[field] = requested[field] ?? .null }
                return
            }
            if set.contains(value) {
                if conflict == nil { conflict = (reason, "\"\(value)\" is already in use") }
            } else {
                accepted[field] = .string(value)
            }
        }
        take("plural", taken.plurals, reason: "PluralConflict")
        take("singular", taken.singulars, reason: "SingularConflict")
        let shortNames = (requested["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let clash = shortNames.first(where: { taken.shortNames.contains($0) }) {
            if conflict == nil { conflict = ("ShortNamesConflict", "\"\(clash)\" is already in use") }
        } else if !shortNames.isEmpty {
            accepted["shortNames"] = .array(shortNames.map { .string($0) })
        } else {
            accepted["shortNames"] = nil
        }
        take("kind", taken.kinds, reason: "KindConflict")
        take("listKind", taken.listKinds, reason: "ListKindConflict")
        if let categories = requested["categories"]?.arrayValue, !categories.isEmpty {
            accepted["categories"] = .array(categories)
        } else {
            accepted["categories"] = nil
        }
        if accepted["singular"] == nil || accepted["singular"] == .null { accepted["singular"] = nil }
        if accepted["listKind"] == nil || accepted["listKind"] == .null { accepted["listKind"] = nil }
        return Outcome(acceptedNames: accepted, conflict: conflict)
    }

    /// The status the naming and establishing controllers give `crd`: accepted names, the
    /// `NamesAccepted` and `Established` conditions, and the storage version among `storedVersions`.
    static func status(of crd: JSONValue, others: [JSONValue], now: String) -> JSONValue {
        var status = crd["status"] ?? [:]
        if case .object = status {} else { status = [:] }
        let outcome = accept(crd, others: others)
        status["acceptedNames"] = outcome.acceptedNames
        var conditions = status["conditions"]?.arrayValue ?? []
        if let conflict = outcome.conflict {
            set(&conditions, type: "NamesAccepted", status: "False", reason: conflict.reason, message: conflict.message, now: now)
        } else {
            set(&conditions, type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found", now: now)
        }
        let established = conditions.first { $0["type"]?.stringValue == "Established" }?["status"]?.stringValue == "True"
        if !established {
            if outcome.conflict == nil {
                set(&conditions, type: "Established", status: "True", reason: "InitialNamesAccepted",
                    message: "the initial names have been accepted", now: now)
            } else {
                set(&conditions, type: "Established", status: "False", reason: "NotAccepted",
                    message: "not all names are accepted", now: now)
            }
        }
        status["conditions"] = .array(conditions)
        var stored = (status["storedVersions"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let storage = (crd[path: ["spec", "versions"]]?.arrayValue ?? [])
            .first(where: { $0["storage"]?.boolValue == true })?["name"]?.stringValue, !stored.contains(storage) {
            stored.append(storage)
        }
        status["storedVersions"] = .array(stored.map { .string($0) })
        return status
    }

    /// Sets a condition, keeping its transition time when its status does not change.
    static func set(_ conditions: inout [JSONValue], type: String, status: String, reason: String, message: String, now: String) {
        let index = conditions.firstIndex { $0["type"]?.stringValue == type }
        var condition: JSONValue = ["type": .string(type), "status": .string(status), "reason": .string(reason),
                                    "message": .string(message), "lastTransitionTime": .string(now)]
        if let index {
            if conditions[index]["status"]?.stringValue == status, let time = conditions[index]["lastTransitionTime"] {
                condition["lastTransitionTime"] = time
            }
            conditions[index] = condition
        } else {
            conditions.append(condition)
        }
    }
}
