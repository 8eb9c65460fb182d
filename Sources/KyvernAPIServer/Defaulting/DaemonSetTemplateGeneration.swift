import KyvernAPI

/// `deprecated.daemonset.template.generation`: how many times a DaemonSet's pod template changed
/// (upstream's internal `spec.templateGeneration`, which apps/v1 carries in this annotation). The
/// server owns it — 1 on create, one more on each template change, a client's own value ignored on
/// update — so old tooling that compares it with its pods' `pod-template-generation` label keeps working.
enum DaemonSetTemplateGeneration {
    static let annotation = "deprecated.daemonset.template.generation"

    static func applies(to info: ResourceInfo) -> Bool {
        info.group == "apps" && info.resource == "daemonsets"
    }

    static func value(_ ds: JSONValue) -> Int64 {
        ds[path: ["metadata", "annotations", annotation]]?.stringValue.flatMap { Int64($0) } ?? 0
    }

    static func set(_ ds: inout JSONValue, _ generation: Int64) {
        var annotations = ds[path: ["metadata", "annotations"]]?.objectValue ?? [:]
        annotations[annotation] = generation > 0 ? .string(String(generation)) : nil
        ds[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : .object(annotations)
    }

    static func prepareForCreate(_ ds: inout JSONValue) {
        if value(ds) < 1 { set(&ds, 1) }
    }

    static func prepareForUpdate(_ ds: inout JSONValue, old: JSONValue) {
        var generation = value(old)
        if ds[path: ["spec", "template"]] != old[path: ["spec", "template"]] { generation += 1 }
        set(&ds, generation)
    }
}
