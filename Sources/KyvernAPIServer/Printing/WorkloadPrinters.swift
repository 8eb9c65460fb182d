import KyvernAPI

/// Deployments, ReplicaSets, ReplicationControllers, StatefulSets, DaemonSets, ControllerRevisions
/// and PodTemplates: replica counts, then (wide) the template's containers, images and selector.
enum WorkloadPrinters {
    static func deployment(_ d: JSONValue, _ context: PrintContext) -> PrintedRow {
        let desired = d.at("spec", "replicas")?.intValue ?? 1
        let status = d["status"] ?? [:]
        let (names, images) = PrintFormat.containers(d.at("spec", "template", "spec"))
        return PrintedRow(cells: [
            .string(d.printedName), .string("\(status.number("readyReplicas"))/\(desired)"),
            .int(status.number("updatedReplicas")), .int(status.number("availableReplicas")),
            .string(context.age(d)), .string(names), .string(images),
            .string(PrintFormat.selectorRequirements(d.at("spec", "selector"))),
        ])
    }

    static func replicaSet(_ r: JSONValue, _ context: PrintContext) -> PrintedRow {
        let (names, images) = PrintFormat.containers(r.at("spec", "template", "spec"))
        return PrintedRow(cells: [
            .string(r.printedName), .int(r.at("spec", "replicas")?.intValue ?? 1), .int(r.number("status", "replicas")),
            .int(r.number("status", "readyReplicas")), .string(context.age(r)), .string(names), .string(images),
            .string(PrintFormat.selector(r.at("spec", "selector"))),
        ])
    }

    /// Like a ReplicaSet, but its selector is a plain label map.
    static func replicationController(_ r: JSONValue, _ context: PrintContext) -> PrintedRow {
        let (names, images) = PrintFormat.containers(r.at("spec", "template", "spec"))
        return PrintedRow(cells: [
            .string(r.printedName), .int(r.at("spec", "replicas")?.intValue ?? 1), .int(r.number("status", "replicas")),
            .int(r.number("status", "readyReplicas")), .string(context.age(r)), .string(names), .string(images),
            .string(PrintFormat.labels(r.at("spec", "selector"))),
        ])
    }

    static func statefulSet(_ s: JSONValue, _ context: PrintContext) -> PrintedRow {
        let desired = s.at("spec", "replicas")?.intValue ?? 1
        let (names, images) = PrintFormat.containers(s.at("spec", "template", "spec"))
        return PrintedRow(cells: [
            .string(s.printedName), .string("\(s.number("status", "readyReplicas"))/\(desired)"), .string(context.age(s)),
            .string(names), .string(images),
        ])
    }

    static func daemonSet(_ d: JSONValue, _ context: PrintContext) -> PrintedRow {
        let status = d["status"] ?? [:]
        let (names, images) = PrintFormat.containers(d.at("spec", "template", "spec"))
        return PrintedRow(cells: [
            .string(d.printedName), .int(status.number("desiredNumberScheduled")), .int(status.number("currentNumberScheduled")),
            .int(status.number("numberReady")), .int(status.number("updatedNumberScheduled")),
            .int(status.number("numberAvailable")),
            .string(PrintFormat.labels(d.at("spec", "template", "spec", "nodeSelector"))), .string(context.age(d)),
            .string(names), .string(images), .string(PrintFormat.selector(d.at("spec", "selector"))),
        ])
    }

    /// CONTROLLER is the controlling owner as `kind.group/name` in lower case, "<none>" without one.
    static func controllerRevision(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        var controller = "<none>"
        if let owner = c.list("metadata", "ownerReferences").first(where: { $0["controller"]?.boolValue == true }) {
            let apiVersion = owner.text("apiVersion")
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
            let kind = owner.text("kind")
            let groupKind = group.isEmpty ? kind : "\(kind).\(group)"
            controller = groupKind.isEmpty ? owner.text("name") : "\(groupKind.lowercased())/\(owner.text("name"))"
        }
        return PrintedRow(cells: [.string(c.printedName), .string(controller), .int(c.number("revision")), .string(context.age(c))])
    }

    static func podTemplate(_ t: JSONValue, _ context: PrintContext) -> PrintedRow {
        let (names, images) = PrintFormat.containers(t.at("template", "spec"))
        return PrintedRow(cells: [
            .string(t.printedName), .string(names), .string(images), .string(PrintFormat.labels(t.at("template", "metadata", "labels"))),
        ])
    }
}
