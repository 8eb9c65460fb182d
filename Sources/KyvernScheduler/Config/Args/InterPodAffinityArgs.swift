public import KyvernAPI

/// `InterPodAffinityArgs`: the score an existing pod's required affinity term gives a node
/// (symmetry), and whether existing pods' preferred terms count at all.
package struct InterPodAffinityArgs: PluginArgs, Hashable {
    package var hardPodAffinityWeight: Int32 = 1
    package var ignorePreferredTermsOfExistingPods = false

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "hardPodAffinityWeight",
                                                       "ignorePreferredTermsOfExistingPods"]) ?? [:]
        if let weight = reader.int32(fields["hardPodAffinityWeight"], path.child("hardPodAffinityWeight")) {
            hardPodAffinityWeight = weight
        }
        ignorePreferredTermsOfExistingPods = reader.bool(fields["ignorePreferredTermsOfExistingPods"],
                                                         path.child("ignorePreferredTermsOfExistingPods")) ?? false
    }

    package func validate(path: FieldPath) -> [APIError.Cause] {
        guard hardPodAffinityWeight < 0 || hardPodAffinityWeight > 100 else { return [] }
        return [.invalid(path.child("hardPodAffinityWeight").description, .int(Int64(hardPodAffinityWeight)),
                         "not in valid range [0, 100]")]
    }
}
