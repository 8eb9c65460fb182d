import KyvernAPI

/// Namespaces, ConfigMaps, Secrets, ServiceAccounts, ComponentStatuses and ResourceQuotas.
enum CorePrinters {
    static func namespace(_ n: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(n.printedName), .string(n.text("status", "phase")), .string(context.age(n))])
    }

    /// DATA counts both `data` and `binaryData` keys.
    static func configMap(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(c.printedName), .int(Int64(c.count("data") + c.count("binaryData"))), .string(context.age(c))])
    }

    static func secret(_ s: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(s.printedName), .string(s.text("type")), .int(Int64(s.count("data"))), .string(context.age(s))])
    }

    static func serviceAccount(_ s: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(s.printedName), .int(Int64(s.count("secrets"))), .string(context.age(s))])
    }

    static func componentStatus(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        var status = "Unknown"
        var message = ""
        var error = ""
        if let healthy = PrintFormat.condition(c.list("conditions"), "Healthy") {
            status = healthy.text("status") == "True" ? "Healthy" : "Unhealthy"
            message = healthy.text("message")
            error = healthy.text("error")
        }
        return PrintedRow(cells: [.string(c.printedName), .string(status), .string(message), .string(error)])
    }

    /// REQUEST and LIMIT list `resource: used/hard` for each hard limit, sorted by resource name;
    /// `limits.*` resources go to LIMIT.
    static func resourceQuota(_ q: JSONValue, _ context: PrintContext) -> PrintedRow {
        let hard = q.at("status", "hard")?.objectValue ?? [:]
        let used = q.at("status", "used")
        var requests: [String] = []
        var limits: [String] = []
        for resource in hard.keys.sorted() {
            let entry = "\(resource): \(PrintFormat.quantity(used?[resource]))/\(PrintFormat.quantity(hard[resource]))"
            if resource.hasPrefix("limits.") { limits.append(entry) } else { requests.append(entry) }
        }
        return PrintedRow(cells: [
            .string(q.printedName), .string(requests.joined(separator: ", ")), .string(limits.joined(separator: ", ")),
            .string(context.age(q)),
        ])
    }
}
