import KyvernAPI

/// What the generic handler does differently for custom resources: their printer columns, their
/// version's deprecation warning, refusing creates while the definition is being deleted and
/// strategic-merge patches (custom kinds carry no patch strategy), storing objects at the
/// definition's storage version and showing them as the requested version (`None` conversion
/// rewrites `apiVersion` only; `Webhook` asks the definition's webhook).
extension ResourceHandler {
    /// The custom resource version behind `info`, nil for built-in resources.
    func customVersion(_ info: ResourceInfo) -> CustomResourceVersion? {
        guard info.definition.isEmpty, let served else { return nil }
        return served.custom(group: info.group, version: info.version, resource: info.resource)
    }

    /// The Table layout of a custom resource (nil: the built-in printer for `info`).
    func tableLayout(_ info: ResourceInfo) -> TableConverter.Layout? {
        customVersion(info).map(CustomResourceTable.layout)
    }

    /// The kind's strategy for field selectors: a custom resource adds its `selectableFields`.
    func filterStrategy(_ info: ResourceInfo) -> KindStrategy {
        var strategy = KindStrategy(info: info)
        strategy.customSelectableFields = customVersion(info)?.selectableFields ?? []
        return strategy
    }

    /// Request-wide rules for custom resources, checked before the verb is dispatched.
    func admitCustomResourceRequest(_ request: inout ResourceRequest) throws {
        guard let version = customVersion(request.info) else { return }
        if let warning = version.deprecationWarning { request.warnings.append(warning) }
        if version.terminating, request.method == "POST", request.target.name == nil, request.target.subresource == nil {
            throw APIError.methodNotAllowed("create not allowed while custom resource definition is terminating")
        }
        if request.method == "PATCH", PatchType(contentType: request.contentType) == .strategicMergePatch {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        }
    }

    /// The converter of stored objects to the requested version, nil for built-in resources.
    func converter(_ info: ResourceInfo) -> CustomResourceConverter? {
        guard let version = customVersion(info) else { return nil }
        return CustomResourceConverter(desiredAPIVersion: info.groupVersion, webhook: version.conversionWebhook,
                                       kind: info.kind, post: conversionWebhookPost)
    }

    /// The converter of written objects to the definition's storage version, nil for built-in
    /// resources. Upstream encodes every write at the storage version, so a definition can move
    /// its storage version and later drop the old one once its objects were rewritten.
    func storageConverter(_ info: ResourceInfo) -> CustomResourceConverter? {
        guard let version = customVersion(info), !version.storageVersion.isEmpty else { return nil }
        return CustomResourceConverter(desiredAPIVersion: "\(info.group)/\(version.storageVersion)",
                                       webhook: version.conversionWebhook, kind: info.kind, post: conversionWebhookPost)
    }

    /// `object` at the storage version (unchanged for built-in resources).
    func forStorage(_ object: JSONValue, _ converter: CustomResourceConverter?) async throws -> JSONValue {
        guard let converter, converter.needsConversion([object]) else { return object }
        return try await converter.convert([object])[0]
    }

    /// What a delete left or removed, as the requested version shows it.
    func converted(_ outcome: DeleteOutcome, _ converter: CustomResourceConverter?) async throws -> DeleteOutcome {
        switch outcome {
        case .deleted(let object): return .deleted(try await converted(object, converter))
        case .remains(let object): return .remains(try await converted(object, converter))
        }
    }

    /// `object` as the requested version shows it.
    func converted(_ object: CachedObject, _ converter: CustomResourceConverter?) async throws -> CachedObject {
        try await converted([object], converter)[0]
    }

    /// `objects` as the requested version shows them (one webhook call for the whole batch).
    func converted(_ objects: [CachedObject], _ converter: CustomResourceConverter?) async throws -> [CachedObject] {
        guard let converter, converter.needsConversion(objects.map(\.object)) else { return objects }
        let results = try await converter.convert(objects.map(\.object))
        return zip(objects, results).map { object, result in
            // Only objects stored at another version are converted, and each comes back at the desired one.
            guard object.object["apiVersion"] != result["apiVersion"] else { return object }
            // `None` changes only apiVersion, which stored bytes carry first: splice it rather than
            // serializing every listed object again.
            let bytes = converter.webhook == nil
                ? Self.replacingAPIVersion(object.bytes, with: converter.desiredAPIVersion) ?? result.serialized()
                : result.serialized()
            return CachedObject(key: object.key, object: result, bytes: bytes, modRevision: object.modRevision)
        }
    }

    /// `bytes` (an object serialized with `apiVersion` first, as the store holds it) with another
    /// `apiVersion`; nil when they do not start that way.
    static func replacingAPIVersion(_ bytes: [UInt8], with apiVersion: String) -> [UInt8]? {
        let prefix = Array(#"{"apiVersion":""#.utf8)
        guard bytes.starts(with: prefix) else { return nil }
        var end = prefix.count
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            if bytes[end] == UInt8(ascii: "\\") { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        return prefix + Array(apiVersion.utf8) + bytes[end...]
    }
}
