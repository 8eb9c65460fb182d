import KyvernAPI

/// What the generic handler does differently for custom resources: their printer columns, their
/// version's deprecation warning, refusing creates while the definition is being deleted and
/// strategic-merge patches (custom kinds carry no patch strategy), and showing stored objects as
/// the requested version (`None` conversion rewrites `apiVersion` only).
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

    /// `object` as the requested version shows it.
    func converted(_ object: CachedObject, _ converter: CustomResourceConverter?) async throws -> CachedObject {
        try await converted([object], converter)[0]
    }

    /// `objects` as the requested version shows them (one webhook call for the whole batch).
    func converted(_ objects: [CachedObject], _ converter: CustomResourceConverter?) async throws -> [CachedObject] {
        guard let converter, converter.needsConversion(objects.map(\.object)) else { return objects }
        let results = try await converter.convert(objects.map(\.object))
        return zip(objects, results).map { object, result in
            result == object.object ? object
                : CachedObject(key: object.key, object: result, bytes: result.serialized(), modRevision: object.modRevision)
        }
    }
}
