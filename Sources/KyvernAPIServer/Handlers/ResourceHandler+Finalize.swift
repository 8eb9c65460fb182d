import KyvernAPI

extension ResourceHandler {
    /// `PUT /api/v1/namespaces/{name}/finalize`: replaces only `spec.finalizers`, the way the
    /// namespace controller (or a user unsticking a namespace) hands a terminating namespace back
    /// for deletion; once the last finalizer is gone the namespace is deleted by `writeUpdate`.
    func finalizeNamespace(_ request: inout ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        let object = try decodeObject(&request, kind: info.kind, groupVersion: info.groupVersion, definition: info.definition)
        try checkName(object, name: name)
        let finalizers = object[path: ["spec", "finalizers"]]?.arrayValue ?? []
        let causes = Self.namespaceFinalizerCauses(finalizers)
        if !causes.isEmpty { throw APIError.invalid(group: "", kind: "Namespace", name: name, causes: causes) }
        let requestedVersion = object[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
        return try await writeUpdate(request, name: name) { current in
            if !requestedVersion.isEmpty, requestedVersion != current[path: ["metadata", "resourceVersion"]]?.stringValue {
                throw APIError.conflict(group: "", resource: "namespaces", name: name,
                                        reason: "the object has been modified; please apply your changes to the latest version and try again")
            }
            var updated = current
            updated[path: ["spec", "finalizers"]] = finalizers.isEmpty ? nil : .array(finalizers)
            return updated
        }
    }

    /// Upstream's rule for `spec.finalizers`: a standard name or a domain-qualified one.
    static func namespaceFinalizerCauses(_ finalizers: [JSONValue]) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for (index, value) in finalizers.enumerated() {
            let field = "spec.finalizers[\(index)]"
            let name = value.stringValue ?? ""
            let problems = NameValidation.isQualifiedName(name)
            if !problems.isEmpty {
                causes += problems.map { APIError.Cause.invalid(field, value, $0) }
            } else if !["kubernetes", "orphan", "foregroundDeletion"].contains(name), !name.contains("/") {
                causes.append(.invalid(field, value, "name is neither a standard finalizer name nor is it fully qualified"))
            }
        }
        return causes
    }
}
