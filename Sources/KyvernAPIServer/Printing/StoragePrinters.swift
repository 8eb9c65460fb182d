import KyvernAPI

/// PersistentVolumes, PersistentVolumeClaims, StorageClasses, VolumeAttributesClasses, CSIDrivers,
/// CSINodes and VolumeAttachments.
enum StoragePrinters {
    static let betaClassAnnotation = "volume.beta.kubernetes.io/storage-class"

    static func persistentVolume(_ v: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = v["spec"] ?? [:]
        var claim = ""
        if let ref = spec["claimRef"], !ref.isNull { claim = "\(ref.text("namespace"))/\(ref.text("name"))" }
        let storageClass = v.at("metadata", "annotations", betaClassAnnotation)?.stringValue ?? spec.text("storageClassName")
        return PrintedRow(cells: [
            .string(v.printedName), .string(PrintFormat.quantity(spec.at("capacity", "storage"))),
            .string(PrintFormat.accessModes(spec.list("accessModes"))), .string(spec.text("persistentVolumeReclaimPolicy")),
            .string(v.isDeleting ? "Terminating" : v.text("status", "phase")), .string(claim), .string(storageClass),
            .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"), .string(v.text("status", "reason")),
            .string(context.age(v)), .string(spec["volumeMode"]?.stringValue ?? "<unset>"),
        ])
    }

    /// CAPACITY and ACCESS MODES come from the bound volume, so stay empty until the claim is bound.
    static func persistentVolumeClaim(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = c["spec"] ?? [:]
        let volume = spec.text("volumeName")
        var capacity = ""
        var modes = ""
        if !volume.isEmpty {
            capacity = PrintFormat.quantity(c.at("status", "capacity", "storage"))
            modes = PrintFormat.accessModes(c.list("status", "accessModes"))
        }
        let storageClass = c.at("metadata", "annotations", betaClassAnnotation)?.stringValue ?? spec.text("storageClassName")
        return PrintedRow(cells: [
            .string(c.printedName), .string(c.isDeleting ? "Terminating" : c.text("status", "phase")), .string(volume),
            .string(capacity), .string(modes), .string(storageClass),
            .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"), .string(context.age(c)),
            .string(spec["volumeMode"]?.stringValue ?? "<unset>"),
        ])
    }

    /// The default class's name carries " (default)".
    static func storageClass(_ s: JSONValue, _ context: PrintContext) -> PrintedRow {
        let annotations = s.at("metadata", "annotations")
        let isDefault = annotations?["storageclass.kubernetes.io/is-default-class"]?.stringValue == "true"
            || annotations?["storageclass.beta.kubernetes.io/is-default-class"]?.stringValue == "true"
        return PrintedRow(cells: [
            .string(isDefault ? "\(s.printedName) (default)" : s.printedName), .string(s.text("provisioner")),
            .string(s["reclaimPolicy"]?.stringValue ?? "Delete"), .string(s["volumeBindingMode"]?.stringValue ?? "Immediate"),
            .bool(s["allowVolumeExpansion"]?.boolValue ?? false), .string(context.age(s)),
        ])
    }

    static func volumeAttributesClass(_ v: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(v.printedName), .string(v.text("driverName")), .string(context.age(v))])
    }

    static func csiDriver(_ d: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = d["spec"] ?? [:]
        var tokens = "<unset>"
        if let requests = spec["tokenRequests"]?.arrayValue {
            tokens = requests.map { $0.text("audience") }.joined(separator: ",")
        }
        let modes = spec.list("volumeLifecycleModes").compactMap(\.stringValue).joined(separator: ",")
        return PrintedRow(cells: [
            .string(d.printedName), .bool(spec["attachRequired"]?.boolValue ?? true), .bool(spec["podInfoOnMount"]?.boolValue ?? false),
            .bool(spec["storageCapacity"]?.boolValue ?? false), .string(tokens),
            .bool(spec["requiresRepublish"]?.boolValue ?? false), .string(modes.isEmpty ? "<none>" : modes),
            .string(context.age(d)),
        ])
    }

    /// CAPACITY is "<unset>" until the driver reports one.
    static func csiStorageCapacity(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        let capacity = c["capacity"].map { PrintFormat.quantity($0) } ?? "<unset>"
        return PrintedRow(cells: [.string(c.printedName), .string(c.text("storageClassName")), .string(capacity)])
    }

    static func csiNode(_ n: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(n.printedName), .int(Int64(n.count("spec", "drivers"))), .string(context.age(n))])
    }

    static func volumeAttachment(_ a: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [
            .string(a.printedName), .string(a.text("spec", "attacher")), .string(a.text("spec", "source", "persistentVolumeName")),
            .string(a.text("spec", "nodeName")), .bool(a.at("status", "attached")?.boolValue ?? false), .string(context.age(a)),
        ])
    }
}
