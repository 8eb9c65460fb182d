import KyvernAPI

/// The files of a projected volume: its configMap, secret, downwardAPI and serviceAccountToken
/// sources merged in order (a later source's path wins), every source's failure reported.
struct ProjectedPayload {
    let reader: ConfigSourceReader
    let tokens: ServiceAccountTokens

    func make(_ source: JSONValue, pod: JSONValue, allocatable: NodeAllocatable) async throws(PayloadError) -> Payload {
        let namespace = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let defaultMode = FileProjection.mode(source["defaultMode"]?.intValue)
        var payload: Payload = [:]
        var errors: [String] = []
        for projection in source["sources"]?.arrayValue ?? [] {
            do {
                if let configMap = projection["configMap"] ?? projection["secret"] {
                    let kind: ConfigSourceReader.Kind = projection["configMap"] != nil ? .configMap : .secret
                    let name = configMap["name"]?.stringValue ?? ""
                    let optional = configMap["optional"]?.boolValue == true
                    let data: ConfigSourceData
                    do {
                        guard let found = try await reader.read(kind, namespace: namespace, name: name) else {
                            if !optional { throw PayloadError(ConfigSourceReader.notFound(kind, name)) }
                            continue
                        }
                        data = found
                    } catch let error as PayloadError {
                        throw error
                    } catch let error as APIError {
                        throw PayloadError(error.message)
                    } catch {
                        throw PayloadError("\(error)")
                    }
                    let files = try KeyPayload.make(items: configMap["items"]?.arrayValue ?? [], data: data, kind: kind,
                                                    defaultMode: defaultMode, optional: optional)
                    payload.merge(files) { _, new in new }
                } else if let downward = projection["downwardAPI"] {
                    let files = try DownwardAPIPayload.make(items: downward["items"]?.arrayValue ?? [], pod: pod,
                                                            defaultMode: defaultMode, allocatable: allocatable)
                    payload.merge(files) { _, new in new }
                } else if let token = projection["serviceAccountToken"] {
                    let value = try await tokens.token(pod: pod, audience: token["audience"]?.stringValue ?? "",
                                                       expirationSeconds: token["expirationSeconds"]?.intValue ?? 3600)
                    // Upstream narrows the token to its owner when an fsGroup would widen access.
                    let fsGroup = pod[path: ["spec", "securityContext", "fsGroup"]] != nil
                    payload[token["path"]?.stringValue ?? "token"] = FileProjection(text: value, mode: fsGroup ? 0o600 : defaultMode)
                } else {
                    let kind = (projection.objectValue ?? [:]).keys.sorted().first ?? "unknown"
                    throw PayloadError("projected source \(kind) is not supported by this node")
                }
            } catch {
                errors.append("\(error)")
            }
        }
        if errors.count == 1 { throw PayloadError(errors[0]) }
        if errors.count > 1 { throw PayloadError("[" + errors.joined(separator: ", ") + "]") }
        return payload
    }
}
