import KyvernAPI

/// Leases, PriorityClasses, RuntimeClasses, PodDisruptionBudgets, webhook and admission-policy
/// configurations, APIServices, CertificateSigningRequests and role bindings.
enum ClusterPrinters {
    static func lease(_ l: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(l.printedName), .string(l.text("spec", "holderIdentity")), .string(context.age(l))])
    }

    static func priorityClass(_ p: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(p.printedName), .int(p.number("value")), .bool(p["globalDefault"]?.boolValue ?? false),
                           .string(context.age(p)), .string(p.text("preemptionPolicy"))])
    }

    static func runtimeClass(_ r: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(r.printedName), .string(r.text("handler")), .string(context.age(r))])
    }

    static func podDisruptionBudget(_ p: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = p["spec"] ?? [:]
        return PrintedRow(cells: [
            .string(p.printedName), .string(spec["minAvailable"].map { PrintFormat.intOrString($0) } ?? "N/A"),
            .string(spec["maxUnavailable"].map { PrintFormat.intOrString($0) } ?? "N/A"),
            .int(p.number("status", "disruptionsAllowed")), .string(context.age(p)),
        ])
    }

    static func webhookConfiguration(_ w: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(w.printedName), .int(Int64(w.count("webhooks"))), .string(context.age(w))])
    }

    /// Validating and mutating admission policies: how many rules, and the parameter kind.
    static func admissionPolicy(_ p: JSONValue, _ context: PrintContext) -> PrintedRow {
        var paramKind = "<unset>"
        if let kind = p.at("spec", "paramKind"), !kind.isNull { paramKind = "\(kind.text("apiVersion"))/\(kind.text("kind"))" }
        let rules = p.count("spec", "validations") + p.count("spec", "mutations")
        return PrintedRow(cells: [.string(p.printedName), .int(Int64(rules)), .string(paramKind), .string(context.age(p))])
    }

    /// PARAMREF is `namespace/name`, `*/name` when the namespace is unknown, or the selector.
    static func admissionPolicyBinding(_ b: JSONValue, _ context: PrintContext) -> PrintedRow {
        var paramRef = "<unset>"
        if let ref = b.at("spec", "paramRef"), !ref.isNull {
            if let name = ref["name"]?.stringValue, !name.isEmpty {
                let namespace = ref.text("namespace")
                paramRef = namespace.isEmpty ? "*/\(name)" : "\(namespace)/\(name)"
            } else if let selector = ref["selector"] {
                paramRef = PrintFormat.selector(selector)
            }
        }
        return PrintedRow(cells: [.string(b.printedName), .string(b.text("spec", "policyName")), .string(paramRef), .string(context.age(b))])
    }

    static func apiService(_ a: JSONValue, _ context: PrintContext) -> PrintedRow {
        var service = "Local"
        if let s = a.at("spec", "service"), !s.isNull { service = "\(s.text("namespace"))/\(s.text("name"))" }
        var available = "Unknown"
        if let condition = PrintFormat.condition(a.list("status", "conditions"), "Available") {
            available = condition.text("status")
            if available != "True" { available += " (\(condition.text("reason")))" }
        }
        return PrintedRow(cells: [.string(a.printedName), .string(service), .string(available), .string(context.age(a))])
    }

    static func certificateSigningRequest(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        let types = Set(c.list("status", "conditions").map { $0.text("type") })
        var condition = types.contains("Denied") ? "Denied" : types.contains("Approved") ? "Approved" : "Pending"
        if types.contains("Failed") { condition += ",Failed" }
        if !c.text("status", "certificate").isEmpty { condition += ",Issued" }
        let signer = c.text("spec", "signerName")
        let duration = c.at("spec", "expirationSeconds")?.intValue.map { HumanDuration.format(seconds: $0) } ?? "<none>"
        return PrintedRow(cells: [
            .string(c.printedName), .string(context.age(c)), .string(signer.isEmpty ? "<none>" : signer),
            .string(c.text("spec", "username")), .string(duration), .string(condition),
        ])
    }

    /// ROLE is `Kind/name`; wide USERS, GROUPS and SERVICEACCOUNTS list the subjects of each kind.
    static func roleBinding(_ b: JSONValue, _ context: PrintContext) -> PrintedRow {
        var users: [String] = []
        var groups: [String] = []
        var accounts: [String] = []
        for subject in b.list("subjects") {
            switch subject.text("kind") {
            case "User": users.append(subject.text("name"))
            case "Group": groups.append(subject.text("name"))
            case "ServiceAccount": accounts.append("\(subject.text("namespace"))/\(subject.text("name"))")
            default: break
            }
        }
        return PrintedRow(cells: [
            .string(b.printedName), .string("\(b.text("roleRef", "kind"))/\(b.text("roleRef", "name"))"), .string(context.age(b)),
            .string(users.joined(separator: ", ")), .string(groups.joined(separator: ", ")),
            .string(accounts.joined(separator: ", ")),
        ])
    }

    static func flowSchema(_ f: JSONValue, _ context: PrintContext) -> PrintedRow {
        let method = PrintFormat.firstNonEmpty(f.at("spec", "distinguisherMethod")?.text("type"), "<none>")
        let dangling = PrintFormat.condition(f.list("status", "conditions"), "Dangling")?.text("status") ?? "?"
        return PrintedRow(cells: [
            .string(f.printedName), .string(f.text("spec", "priorityLevelConfiguration", "name")),
            .int(f.number("spec", "matchingPrecedence")), .string(method), .string(context.age(f)), .string(dangling),
        ])
    }

    static func priorityLevelConfiguration(_ p: JSONValue, _ context: PrintContext) -> PrintedRow {
        var shares: JSONValue = "<none>"
        var queues: JSONValue = "<none>"
        var handSize: JSONValue = "<none>"
        var queueLength: JSONValue = "<none>"
        if let limited = p.at("spec", "limited"), !limited.isNull {
            shares = .int(limited.number("nominalConcurrencyShares"))
            if let queuing = limited.at("limitResponse", "queuing"), !queuing.isNull {
                queues = .int(queuing.number("queues"))
                handSize = .int(queuing.number("handSize"))
                queueLength = .int(queuing.number("queueLengthLimit"))
            }
        }
        return PrintedRow(cells: [.string(p.printedName), .string(p.text("spec", "type")), shares, queues, handSize, queueLength,
                                  .string(context.age(p))])
    }
}
