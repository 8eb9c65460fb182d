import KyvernAPI

/// Events, core/v1 and events.k8s.io/v1 alike: LAST SEEN TYPE REASON OBJECT MESSAGE, wide
/// SUBOBJECT SOURCE FIRST SEEN COUNT NAME. Upstream prints both from one internal form, so the
/// events.k8s.io field names are read where the core ones are absent.
enum EventPrinter {
    static func core(_ e: JSONValue, _ context: PrintContext) -> PrintedRow {
        row(e, context, regarding: e["involvedObject"], message: e.text("message"), source: e["source"],
            first: e["firstTimestamp"], last: e["lastTimestamp"], count: e.number("count"))
    }

    static func eventsV1(_ e: JSONValue, _ context: PrintContext) -> PrintedRow {
        row(e, context, regarding: e["regarding"], message: e.text("note"), source: e["deprecatedSource"],
            first: e["deprecatedFirstTimestamp"], last: e["deprecatedLastTimestamp"], count: e.number("deprecatedCount"))
    }

    private static func row(_ e: JSONValue, _ context: PrintContext, regarding: JSONValue?, message: String,
                            source: JSONValue?, first: JSONValue?, last: JSONValue?, count: Int64) -> PrintedRow {
        func present(_ t: JSONValue?) -> Bool { t?.stringValue.map { !$0.isEmpty } ?? false }
        let firstSeen = present(first) ? context.since(first) : context.since(e["eventTime"])
        var lastSeen = present(last) ? context.since(last) : firstSeen
        var total = count
        if let series = e["series"], !series.isNull {
            lastSeen = context.since(series["lastObservedTime"])
            total = series.number("count")
        } else if total == 0 {
            total = 1
        }
        let kind = regarding?.text("kind").lowercased() ?? ""
        let name = regarding?.text("name") ?? ""
        let component = PrintFormat.firstNonEmpty(source?.text("component"), e.text("reportingController"))
        let instance = PrintFormat.firstNonEmpty(source?.text("host"), e.text("reportingInstance"))
        return PrintedRow(cells: [
            .string(lastSeen), .string(e.text("type")), .string(e.text("reason")),
            .string(name.isEmpty ? kind : "\(kind)/\(name)"), .string(regarding?.text("fieldPath") ?? ""),
            .string(instance.isEmpty ? component : "\(component), \(instance)"),
            .string(PrintFormat.trimSpace(message)), .string(firstSeen), .int(total), .string(e.printedName),
        ])
    }
}
