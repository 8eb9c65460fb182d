import KyvernAPI

extension ResourceHandler {
    /// Decodes a request body as an object of the request's kind: media type, kind and
    /// apiVersion checks, and schema pruning by the `fieldValidation` directive.
    func decodeObject(_ request: inout ResourceRequest, kind: String, groupVersion: String, definition: String) throws -> JSONValue {
        let (value, duplicates) = try BodyDecoder.decodeReportingDuplicates(request.body, contentType: request.contentType, what: kind)
        return try checkObject(value, &request, kind: kind, groupVersion: groupVersion, definition: definition,
                               duplicateKeys: duplicates, fromBody: true)
    }

    /// Checks and prunes an already decoded object (also used for the result of a patch).
    /// A body's strict-decoding errors are worded as upstream's decoder does (`<Kind> in version ... cannot be handled`).
    func checkObject(_ value: JSONValue, _ request: inout ResourceRequest, kind: String, groupVersion: String,
                     definition: String, duplicateKeys: [String] = [], fromBody: Bool = false) throws -> JSONValue {
        guard case .object = value else {
            throw APIError.badRequest("\(kind) in version \"\(request.info.version)\" cannot be handled as a \(kind): the body must be a JSON object")
        }
        var object = value
        if let apiVersion = object["apiVersion"]?.stringValue, !apiVersion.isEmpty {
            if apiVersion != groupVersion {
                throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(groupVersion))")
            }
        } else {
            object["apiVersion"] = .string(groupVersion)
        }
        if let bodyKind = object["kind"]?.stringValue, !bodyKind.isEmpty {
            if bodyKind != kind {
                throw APIError.badRequest("the kind in the data (\(bodyKind)) does not match the expected kind (\(kind))")
            }
        } else {
            object["kind"] = .string(kind)
        }
        let mode = request.query["fieldValidation"] ?? "Warn"
        guard ["Strict", "Warn", "Ignore"].contains(mode) else {
            let message = "Unsupported value: \"\(mode)\": supported values: \"Ignore\", \"Strict\", \"Warn\""
            throw APIError(code: 422, reason: "Invalid",
                           message: "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: \(message)",
                           details: .init(group: "meta.k8s.io", kind: "CreateOptions",
                                          causes: [.init(type: "FieldValueNotSupported", message: message, field: "fieldValidation")]))
        }
        var result = try pruner.prune(object, definition: definition, kind: kind)
        if let custom = customVersion(request.info) {
            // A custom resource's structural schema prunes and defaults it, as upstream's decoder does.
            result.unknownFields += custom.prune(&result.value)
        }
        if !result.unknownFields.isEmpty || !duplicateKeys.isEmpty {
            let messages = duplicateKeys.map { "duplicate field \"\($0)\"" } + result.unknownFields.map { "unknown field \"\($0)\"" }
            switch mode {
            case "Strict":
                let strict = "strict decoding error: " + messages.joined(separator: ", ")
                throw APIError.badRequest(fromBody ? "\(kind) in version \"\(request.info.version)\" cannot be handled as a \(kind): \(strict)" : strict)
            case "Warn":
                request.warnings.append(contentsOf: messages)
            default:
                break
            }
        }
        return result.value
    }

    /// Validates the metadata of an object about to be written (422 with every cause).
    func validateMeta(_ object: JSONValue, _ info: ResourceInfo) throws {
        let strategy = KindStrategy(info: info)
        guard let meta = object["metadata"] else {
            throw APIError.invalid(group: info.group, kind: info.kind, name: "",
                                   causes: [.init(type: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name")])
        }
        let causes = validateObjectMeta(meta, namespaced: info.namespaced, nameRule: strategy.nameRule)
        if !causes.isEmpty {
            throw APIError.invalid(group: info.group, kind: info.kind, name: meta["name"]?.stringValue ?? "", causes: causes)
        }
    }
}
