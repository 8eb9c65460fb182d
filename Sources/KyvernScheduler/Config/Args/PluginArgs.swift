public import KyvernAPI

/// A plugin's `pluginConfig[].args` type: read strictly from the file, defaulted and validated
/// as upstream's `<Plugin>Args` are, then handed to the plugin's constructor.
package protocol PluginArgs: Sendable {
    /// The args upstream's defaulting gives a plugin the file does not configure.
    init()
    /// Reads the `args` object (recording unknown or mistyped fields in `reader`) and applies
    /// upstream's defaulting to what the file left out.
    init(json: JSONValue, path: FieldPath, reader: inout ConfigReader)
    /// Upstream's validation of the defaulted args; causes name fields under `path`.
    func validate(path: FieldPath) -> [APIError.Cause]
}

/// For plugins without args: whatever the file gives is accepted and ignored, as upstream passes
/// an unknown args object to a plugin that takes none.
package struct NoArgs: PluginArgs {
    package init() {}
    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {}
    package func validate(path: FieldPath) -> [APIError.Cause] { [] }
}

/// `{name, weight}` as NodeResourcesFit and NodeResourcesBalancedAllocation take it.
struct ResourceSpecReader {
    static let defaults = [NodeResourcesFit.ResourceWeight("cpu"), NodeResourcesFit.ResourceWeight("memory")]

    /// Reads the list; an entry without a weight (or weight 0) gets 1, as upstream defaults.
    static func read(_ value: JSONValue?, _ path: FieldPath,
                     _ reader: inout ConfigReader) -> [NodeResourcesFit.ResourceWeight]? {
        guard let items = reader.array(value, path) else { return nil }
        return items.enumerated().map { i, item in
            let itemPath = path.index(i)
            let fields = reader.object(item, itemPath, known: ["name", "weight"]) ?? [:]
            let name = reader.string(fields["name"], itemPath.child("name")) ?? ""
            let weight = reader.int64(fields["weight"], itemPath.child("weight")) ?? 0
            return NodeResourcesFit.ResourceWeight(name, weight: weight == 0 ? 1 : weight)
        }
    }
}
