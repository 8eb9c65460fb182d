import KyvernAPI

/// Nodes: NAME STATUS ROLES AGE VERSION, wide INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION
/// CONTAINER-RUNTIME. STATUS is Ready/NotReady/Unknown, plus ",SchedulingDisabled" when cordoned;
/// ROLES come from `node-role.kubernetes.io/<role>` labels and the `kubernetes.io/role` label.
enum NodePrinter {
    static func row(_ n: JSONValue, _ context: PrintContext) -> PrintedRow {
        var status: [String] = []
        if let ready = n.list("status", "conditions").last(where: { $0.text("type") == "Ready" }) {
            status.append(ready.text("status") == "True" ? "Ready" : "NotReady")
        } else {
            status.append("Unknown")
        }
        if n.at("spec", "unschedulable")?.boolValue == true { status.append("SchedulingDisabled") }

        var roles: Set<String> = []
        for (key, value) in n.at("metadata", "labels")?.objectValue ?? [:] {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", let v = value.stringValue, !v.isEmpty {
                roles.insert(v)
            }
        }
        let info = n.at("status", "nodeInfo") ?? [:]
        func known(_ key: String) -> JSONValue {
            let value = info.text(key)
            return .string(value.isEmpty ? "<unknown>" : value)
        }
        return PrintedRow(cells: [
            .string(n.printedName), .string(status.joined(separator: ",")),
            .string(roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")), .string(context.age(n)),
            .string(info.text("kubeletVersion")), .string(address(n, "InternalIP")), .string(address(n, "ExternalIP")),
            known("osImage"), known("kernelVersion"), known("containerRuntimeVersion"),
        ])
    }

    private static func address(_ n: JSONValue, _ type: String) -> String {
        n.list("status", "addresses").first { $0.text("type") == type }?.text("address") ?? "<none>"
    }
}
