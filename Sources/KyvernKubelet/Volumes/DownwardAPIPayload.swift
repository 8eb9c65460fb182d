import KyvernAPI

/// The files of a downwardAPI volume (or projection): pod metadata by `fieldRef` and container
/// requests and limits by `resourceFieldRef`, each with its own mode.
enum DownwardAPIPayload {
    static func make(items: [JSONValue], pod: JSONValue, defaultMode: UInt32,
                     allocatable: NodeAllocatable) throws(PayloadError) -> Payload {
        var payload: Payload = [:]
        var errors: [String] = []
        for item in items {
            let path = item["path"]?.stringValue ?? ""
            let mode = FileProjection.mode(item["mode"]?.intValue, default: defaultMode)
            do {
                if let field = item["fieldRef"] {
                    let text = try PodFieldPath.metadataValue(field["fieldPath"]?.stringValue ?? "", pod: pod)
                    payload[path] = FileProjection(text: text, mode: mode)
                } else if let selector = item["resourceFieldRef"] {
                    let container = try ResourceFieldValue.container(named: selector["containerName"]?.stringValue ?? "", in: pod)
                    let text = try ResourceFieldValue.value(selector, container: container, allocatable: allocatable)
                    payload[path] = FileProjection(text: text, mode: mode)
                }
            } catch {
                errors.append("\(error)")
            }
        }
        // Upstream aggregates every failing item: one message alone, several in brackets.
        if errors.count == 1 { throw PayloadError(errors[0]) }
        if errors.count > 1 { throw PayloadError("[" + errors.joined(separator: ", ") + "]") }
        return payload
    }
}
