import KyvernAPI

/// A request's label and field selectors, applied to objects of one kind.
struct ObjectFilter: Sendable {
    var labels: LabelSelector?
    var fields: FieldSelector?
    var strategy: KindStrategy

    init(options: ListOptions, strategy: KindStrategy, sample: JSONValue = .object([:])) throws {
        self.strategy = strategy
        if let text = options.labelSelector { labels = try LabelSelector.parse(text) }
        if let text = options.fieldSelector {
            let selector = try FieldSelector.parse(text)
            let supported = Set(strategy.selectableFields(sample).keys)
            for name in selector.fieldNames where !supported.contains(name) {
                throw APIError.badRequest("field label not supported: \(name)")
            }
            fields = selector
        }
    }

    var isEverything: Bool { labels == nil && fields == nil }

    func matches(_ object: JSONValue) -> Bool {
        if let labels {
            var map: [String: String] = [:]
            for (key, value) in object[path: ["metadata", "labels"]]?.objectValue ?? [:] {
                if let s = value.stringValue { map[key] = s }
            }
            if !labels.matches(map) { return false }
        }
        if let fields, !fields.matches(strategy.selectableFields(object)) { return false }
        return true
    }
}
