import KyvernAPI

extension ResourceHandler {
    /// The steps every JSON, merge and strategic merge patch shares, whatever it is stored as.
    ///
    /// The patch is applied to the current object inside `write`'s retry loop (so a conflict retries
    /// against the newer object), the result is checked exactly as a request body would be (types,
    /// unknown fields, pruning) against `target`'s schema, and `finish` makes the object to store.
    /// Each attempt starts afresh, so the warnings of the attempt that was stored reach the reply.
    func applyingPatch(_ request: inout ResourceRequest, type: PatchType, as target: ResourceInfo,
                       write: (ResourceRequest, _ change: @escaping (JSONValue) throws -> JSONValue) async throws -> Reply,
                       finish: @escaping (_ patched: JSONValue, _ current: JSONValue) throws -> JSONValue) async throws -> Reply {
        let body = request.body
        let base = request
        var checked = request
        let reply = try await write(request) { current in
            checked = base
            let patched = try PatchApplier.apply(type, patch: body, to: current,
                                                 definition: target.definition, schemas: pruner.schemas)
            let object = try checkObject(patched, &checked, kind: target.kind, groupVersion: target.groupVersion,
                                         definition: target.definition)
            return try finish(object, current)
        }
        request.warnings = checked.warnings
        return reply
    }
}
