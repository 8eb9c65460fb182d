import KyvernAPI

/// Dynamic resource allocation (resource.k8s.io) and the smaller newer kinds: ClusterTrustBundles
/// and LeaseCandidates.
enum ResourcePrinters {
    static func nameAndAge(_ o: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(o.printedName), .string(context.age(o))])
    }

    /// STATE: "deleted" while deleting, then "pending" or "allocated" (",reserved" when in use).
    static func resourceClaim(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        var states: [String] = []
        if c.isDeleting { states.append("deleted") }
        if let allocation = c.at("status", "allocation"), !allocation.isNull {
            states.append("allocated")
            if c.count("status", "reservedFor") > 0 { states.append("reserved") }
        } else if !c.isDeleting {
            states.append("pending")
        }
        return PrintedRow(cells: [.string(c.printedName), .string(states.joined(separator: ",")), .string(context.age(c))])
    }

    static func resourceSlice(_ s: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(s.printedName), .string(s.text("spec", "nodeName")), .string(s.text("spec", "driver")),
                           .string(s.text("spec", "pool", "name")), .string(context.age(s))])
    }

    static func clusterTrustBundle(_ b: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(b.printedName), .string(PrintFormat.firstNonEmpty(b.text("spec", "signerName"), "<none>"))])
    }

    static func leaseCandidate(_ l: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(l.printedName), .string(l.text("spec", "leaseName")), .string(l.text("spec", "binaryVersion")),
                           .string(l.text("spec", "emulationVersion")), .string(context.age(l))])
    }
}
