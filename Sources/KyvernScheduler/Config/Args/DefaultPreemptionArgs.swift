public import KyvernAPI

/// `DefaultPreemptionArgs`: how many candidate nodes preemption examines at least, as a share of
/// the cluster and as an absolute floor.
package struct DefaultPreemptionArgs: PluginArgs, Hashable {
    package var minCandidateNodesPercentage: Int32 = 10
    package var minCandidateNodesAbsolute: Int32 = 100

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "minCandidateNodesPercentage",
                                                       "minCandidateNodesAbsolute"]) ?? [:]
        if let v = reader.int32(fields["minCandidateNodesPercentage"], path.child("minCandidateNodesPercentage")) {
            minCandidateNodesPercentage = v
        }
        if let v = reader.int32(fields["minCandidateNodesAbsolute"], path.child("minCandidateNodesAbsolute")) {
            minCandidateNodesAbsolute = v
        }
    }

    package func validate(path: FieldPath) -> [APIError.Cause] {
        let percentage = path.child("minCandidateNodesPercentage").description
        let absolute = path.child("minCandidateNodesAbsolute").description
        var causes: [APIError.Cause] = []
        if minCandidateNodesPercentage < 0 || minCandidateNodesPercentage > 100 {
            causes.append(.invalid(percentage, .int(Int64(minCandidateNodesPercentage)), "not in valid range [0, 100]"))
        }
        if minCandidateNodesAbsolute < 0 {
            causes.append(.invalid(absolute, .int(Int64(minCandidateNodesAbsolute)), "not in valid range [0, inf)"))
        }
        if minCandidateNodesPercentage == 0 && minCandidateNodesAbsolute == 0 {
            causes.append(.invalid(percentage, 0, "cannot be zero at the same time as minCandidateNodesAbsolute"))
            causes.append(.invalid(absolute, 0, "cannot be zero at the same time as minCandidateNodesPercentage"))
        }
        return causes
    }
}
