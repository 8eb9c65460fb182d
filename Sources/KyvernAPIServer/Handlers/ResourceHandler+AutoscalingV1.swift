import KyvernAPI

/// autoscaling/v1 `horizontalpodautoscalers` served from the autoscaling/v2 storage, as upstream:
/// bodies are converted in, answers (objects, lists, watch events, Tables) converted out, and a
/// patch is applied to the v1 shape of the stored object. See ``AutoscalingV1Conversion``.
extension ResourceHandler {
    func handleAutoscalingV1(_ request: inout ResourceRequest) async throws -> Reply {
        let external = request.info
        let bridge = VersionBridge(external: external, stored: AutoscalingV1Conversion.storedInfo,
                                   toExternal: AutoscalingV1Conversion.toV1)
        var stored = bridge.storedRequest(request)
        let subresource = request.target.subresource
        if let subresource, subresource != "status" {
            throw APIError.notFound(group: external.group, resource: "\(external.resource)/\(subresource)",
                                    name: request.target.name ?? "")
        }
        let reply: Reply
        switch (request.method, request.target.name) {
        case ("POST", nil), ("PUT", _):
            try requireVerb(request.method == "POST" ? "create" : "update", external)
            let object = try decodeObject(&request, kind: external.kind, groupVersion: external.groupVersion,
                                          definition: external.definition)
            stored.body = try AutoscalingV1Conversion.toV2(object).serialized()
            stored.contentType = "application/json"
            reply = try await handle(&stored)
        case ("PATCH", let name?) where PatchType(contentType: request.contentType) == .apply:
            try requireVerb("patch", external)
            // The applied configuration names only the fields its manager owns: converted alone (no
            // implied CPU target), it is applied to the stored shape, where every manager's fields live.
            let decoded = try BodyDecoder.decode(request.body, contentType: request.contentType, what: external.kind)
            var checked = request
            let config = try checkObject(decoded, &checked, kind: external.kind, groupVersion: external.groupVersion,
                                         definition: external.definition)
            request.warnings = checked.warnings
            stored.body = try AutoscalingV1Conversion.toV2(config, partial: true).serialized()
            stored.contentType = "application/apply-patch+yaml"
            _ = name
            reply = try await handle(&stored)
        case ("PATCH", let name?):
            try requireVerb("patch", external)
            reply = try await patchAutoscalingV1(&request, stored: stored, name: name)
        default:
            reply = try await handle(&stored)
        }
        request.warnings += stored.warnings
        return try convertOut(reply, request: request, bridge: bridge)
    }

    /// A JSON, merge or strategic-merge patch is applied to the v1 shape of the stored object,
    /// then the result is stored in the v2 shape after the checks every update gets.
    private func patchAutoscalingV1(_ request: inout ResourceRequest, stored: ResourceRequest, name: String) async throws -> Reply {
        let external = request.info
        guard let patchType = PatchType(contentType: request.contentType) else {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
        }
        try validateManagerOptions(request, options: "PatchOptions")
        let storedInfo = stored.info
        let statusOnly = request.target.subresource == "status"
        return try await applyingPatch(&request, type: patchType, as: external, write: { _, change in
            try await writeUpdate(stored, name: name) { current in
                var object = try AutoscalingV1Conversion.toV2(try change(AutoscalingV1Conversion.toV1(current)))
                try reconcileNamespace(&object, stored)
                ObjectDefaults.apply(to: &object, info: storedInfo)
                try validateMeta(object, storedInfo)
                let merged = try mergeForUpdate(new: object, current: current, info: storedInfo, statusOnly: statusOnly)
                try validateObject(merged, old: current, info: storedInfo)
                return merged
            }
        }) { patched, _ in
            try checkName(patched, name: name)
            return patched
        }
    }
}
