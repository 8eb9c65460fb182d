import Foundation
import KyvernAPI

/// events.k8s.io/v1 `events` served from the core/v1 `events` storage (one object, two shapes),
/// as upstream: every verb runs against the core resource, with the request's body converted in
/// and the answer (objects, lists, watch events, errors) converted out.
extension ResourceHandler {
    func handleEventsV1(_ request: inout ResourceRequest) async throws -> Reply {
        let external = request.info
        let coreInfo = EventConversion.coreInfo
        let bridge = VersionBridge(external: external, stored: coreInfo, toExternal: EventConversion.toEventsV1)
        var core = bridge.storedRequest(request)
        if let selector = request.query["fieldSelector"] {
            core.query.set("fieldSelector", try EventConversion.coreFieldSelector(selector))
        }
        do {
            let reply: Reply
            switch (request.method, request.target.name) {
            case ("POST", nil):
                try requireVerb("create", external)
                let object = try decodeObject(&request, kind: external.kind, groupVersion: external.groupVersion,
                                              definition: external.definition)
                var stored = EventConversion.toCore(object)
                try reconcileNamespace(&stored, request)
                let causes = EventValidation.validateCreate(stored, namespace: request.namespace ?? "")
                if !causes.isEmpty {
                    throw APIError.invalid(group: external.group, kind: external.kind,
                                           name: stored[path: ["metadata", "name"]]?.stringValue ?? "", causes: causes)
                }
                core.body = stored.serialized()
                core.contentType = "application/json"
                reply = try await handle(&core)
            case ("PUT", let name?):
                try requireVerb("update", external)
                let object = try decodeObject(&request, kind: external.kind, groupVersion: external.groupVersion,
                                              definition: external.definition)
                try checkName(object, name: name)
                reply = try await writeEventsV1(core, name: name) { _ in object }
            case ("PATCH", let name?):
                try requireVerb("patch", external)
                reply = try await patchEventsV1(&request, core: core, name: name)
            default:
                reply = try await handle(&core)
                request.warnings += core.warnings
            }
            return try convertOut(reply, request: request, bridge: bridge)
        } catch let error as APIError {
            throw Self.relabel(error, as: external)
        }
    }

    /// A patch is applied to the events.k8s.io shape of the stored object, then stored as core/v1.
    private func patchEventsV1(_ request: inout ResourceRequest, core: ResourceRequest, name: String) async throws -> Reply {
        let external = request.info
        guard let patchType = PatchType(contentType: request.contentType) else {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
        }
        return try await applyingPatch(&request, type: patchType, as: external,
                                       write: { _, change in try await writeEventsV1(core, name: name, change: change) }) { patched, _ in
            try checkName(patched, name: name)
            return patched
        }
    }

    /// Update and patch: `change` makes the new events.k8s.io object from the current one; it is
    /// stored in the core shape after the checks an update gets, plus the events.k8s.io/v1 rule that
    /// only the series and metadata may change.
    private func writeEventsV1(_ core: ResourceRequest, name: String,
                               change: @escaping (JSONValue) throws -> JSONValue) async throws -> Reply {
        let coreInfo = core.info
        return try await writeUpdate(core, name: name) { current in
            var stored = EventConversion.toCore(try change(EventConversion.toEventsV1(current)))
            try reconcileNamespace(&stored, core)
            ObjectDefaults.apply(to: &stored, info: coreInfo)
            try validateMeta(stored, coreInfo)
            let merged = try mergeForUpdate(new: stored, current: current, info: coreInfo, statusOnly: false)
            let causes = EventValidation.validateUpdate(merged, old: current, namespace: core.namespace ?? "")
            if !causes.isEmpty {
                throw APIError.invalid(group: "events.k8s.io", kind: "Event", name: name, causes: causes)
            }
            try validateObject(merged, old: current, info: coreInfo)
            return merged
        }
    }

    /// Errors name the resource the client asked for: `events.events.k8s.io "x" not found`.
    static func relabel(_ error: APIError, as external: ResourceInfo) -> APIError {
        guard var details = error.details, details.group == "" else { return error }
        switch details.kind {
        case "events":
            var relabeled = error
            relabeled.message = error.message.replacingFirst("events \"", with: "events.\(external.group) \"")
            details.group = external.group
            relabeled.details = details
            return relabeled
        case "Event" where error.code == 422:
            // Causes keep the stored shape's field paths, as upstream validates the internal object.
            return APIError.invalid(group: external.group, kind: external.kind, name: details.name ?? "",
                                    causes: details.causes)
        default:
            return error
        }
    }
}

private extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
