import KyvernAPI

/// Jobs (STATUS COMPLETIONS DURATION) and CronJobs (SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE).
enum BatchPrinters {
    static func job(_ j: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = j["spec"] ?? [:]
        let status = j["status"] ?? [:]
        let succeeded = status.number("succeeded")
        let completions: String
        if let wanted = spec["completions"]?.intValue {
            completions = "\(succeeded)/\(wanted)"
        } else if let parallelism = spec["parallelism"]?.intValue, parallelism > 1 {
            completions = "\(succeeded)/1 of \(parallelism)"
        } else {
            completions = "\(succeeded)/1"
        }
        var duration = ""
        if let start = status["startTime"]?.stringValue.flatMap(Timestamp.parseMicroseconds) {
            let end = status["completionTime"]?.stringValue.flatMap(Timestamp.parseMicroseconds) ?? context.now
            duration = HumanDuration.format(microseconds: end - start)
        }
        let conditions = status.list("conditions")
        let state: String
        if PrintFormat.conditionIsTrue(conditions, "Complete") {
            state = "Complete"
        } else if PrintFormat.conditionIsTrue(conditions, "Failed") {
            state = "Failed"
        } else if j.isDeleting {
            state = "Terminating"
        } else if PrintFormat.conditionIsTrue(conditions, "Suspended") {
            state = "Suspended"
        } else if PrintFormat.conditionIsTrue(conditions, "FailureTarget") {
            state = "FailureTarget"
        } else {
            state = "Running"
        }
        let (names, images) = PrintFormat.containers(spec.at("template", "spec"))
        return PrintedRow(cells: [
            .string(j.printedName), .string(state), .string(completions), .string(duration), .string(context.age(j)),
            .string(names), .string(images), .string(PrintFormat.selector(spec["selector"])),
        ])
    }

    static func cronJob(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = c["spec"] ?? [:]
        let last = c.at("status", "lastScheduleTime").map { context.since($0) } ?? "<none>"
        let jobSpec = spec.at("jobTemplate", "spec")
        let (names, images) = PrintFormat.containers(jobSpec?.at("template", "spec"))
        return PrintedRow(cells: [
            .string(c.printedName), .string(spec.text("schedule")), .string(spec["timeZone"]?.stringValue ?? "<none>"),
            .string(PrintFormat.boolWord(spec["suspend"])), .int(Int64(c.count("status", "active"))), .string(last),
            .string(context.age(c)), .string(names), .string(images), .string(PrintFormat.selector(jobSpec?["selector"])),
        ])
    }
}
