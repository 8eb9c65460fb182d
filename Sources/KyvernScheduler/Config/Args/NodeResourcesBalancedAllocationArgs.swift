public import KyvernAPI

/// `NodeResourcesBalancedAllocationArgs`: the resources whose usage the plugin balances.
package struct NodeResourcesBalancedAllocationArgs: PluginArgs, Hashable {
    package var resources = ResourceSpecReader.defaults

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "resources"]) ?? [:]
        let resources = ResourceSpecReader.read(fields["resources"], path.child("resources"), &reader) ?? []
        self.resources = resources.isEmpty ? ResourceSpecReader.defaults : resources
    }

    package func validate(path: FieldPath) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        var seen: Set<String> = []
        for (i, resource) in resources.enumerated() {
            let itemPath = path.child("resources").index(i)
            if !seen.insert(resource.name).inserted {
                causes.append(.duplicate(itemPath.child("name").description, .string(resource.name)))
            }
            if resource.weight != 1 {
                causes.append(.invalid(itemPath.child("weight").description, .int(resource.weight), "must be 1"))
            }
        }
        return causes
    }
}
