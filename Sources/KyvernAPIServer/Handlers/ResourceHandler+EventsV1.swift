import Foundation
import KyvernAPI

/// events.k8s.io/v1 `events` served from the core/v1 `events` storage (one object, two shapes),
/// as upstream: every verb runs against the core resource, with the request's body converted in
/// and the answer (objects, lists, watch events, errors) converted out.
extension ResourceHandler {
    func handleEventsV1(_ request: inout ResourceRequest) async throws -> Reply {
        let external = request.info
        let coreInfo = EventConversion.coreInfo
        var core = request
        core.info = coreInfo
        core.target.group = ""
        core.accept = "application/json"
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
            return try convertOut(reply, request: request)
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

    /// The core handler's answer in the events.k8s.io shape (or as a Table of that shape).
    private func convertOut(_ reply: Reply, request: ResourceRequest) throws -> Reply {
        let external = request.info
        switch reply {
        case .watch(var watch):
            watch.info = external
            watch.convert = EventConversion.toEventsV1
            return .watch(watch)
        case .json(let status, let bytes, let contentType):
            var value = try JSONValue.parse(bytes)
            switch value["kind"]?.stringValue {
            case "Status":
                if value[path: ["details", "kind"]] != nil { value[path: ["details", "group"]] = .string(external.group) }
                return .json(status: status, bytes: value.serialized(), contentType: contentType)
            case "EventList":
                let items = (value["items"]?.arrayValue ?? []).map(EventConversion.toEventsV1)
                if request.wantsTable {
                    let include = try TableConverter.IncludeObject(query: request.query["includeObject"])
                    return .bytes(TableConverter.table(for: items.map(Self.cached), info: external,
                                                       revision: value[path: ["metadata", "resourceVersion"]]?.stringValue ?? "",
                                                       continueToken: value[path: ["metadata", "continue"]]?.stringValue,
                                                       include: include), status: status)
                }
                value["apiVersion"] = .string(external.groupVersion)
                value["items"] = .array(items)
                return .json(status: status, bytes: value.serialized(), contentType: contentType)
            default:
                let object = EventConversion.toEventsV1(value)
                if request.wantsTable, request.method == "GET" {
                    let include = try TableConverter.IncludeObject(query: request.query["includeObject"])
                    return .bytes(TableConverter.table(for: [Self.cached(object)], info: external,
                                                       revision: object[path: ["metadata", "resourceVersion"]]?.stringValue ?? "",
                                                       include: include), status: status)
                }
                return .json(status: status, bytes: object.serialized(), contentType: contentType)
            }
        }
    }

    /// A converted object in the shape the Table printer reads (its serialization carried along).
    private static func cached(_ object: JSONValue) -> CachedObject {
        CachedObject(key: "", object: object, bytes: object.serialized(),
                     modRevision: Int64(object[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0)
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
