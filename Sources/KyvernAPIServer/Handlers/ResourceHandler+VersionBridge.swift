import KyvernAPI

/// A second served shape of one stored resource (events.k8s.io/v1 Events over core/v1,
/// autoscaling/v1 HorizontalPodAutoscalers over autoscaling/v2): the stored handler does the work,
/// and its answers are converted on the way out.
struct VersionBridge: Sendable {
    /// What the client asked for.
    let external: ResourceInfo
    /// Where the objects are stored.
    let stored: ResourceInfo
    /// A stored object in the external shape (objects of other kinds pass unchanged).
    let toExternal: @Sendable (JSONValue) -> JSONValue

    /// `request` aimed at the stored resource. A watch keeps the client's Accept (its Table rows
    /// are printed from converted objects); everything else asks for plain JSON to convert.
    func storedRequest(_ request: ResourceRequest) -> ResourceRequest {
        var stored = request
        stored.info = self.stored
        stored.target.group = self.stored.group
        stored.target.version = self.stored.version
        let watching = request.method == "GET" && request.query.bool("watch") == true
        if !watching { stored.accept = "application/json" }
        return stored
    }
}

extension ResourceHandler {
    /// The stored handler's answer in the external shape (or as a Table of that shape).
    func convertOut(_ reply: Reply, request: ResourceRequest, bridge: VersionBridge) throws -> Reply {
        let external = bridge.external
        switch reply {
        case .watch(var watch):
            watch.info = external
            let convert = bridge.toExternal
            watch.convert = { convert($0) }
            return .watch(watch)
        case .json(let status, let bytes, let contentType):
            var value = try JSONValue.parse(bytes)
            switch value["kind"]?.stringValue {
            case "Status":
                if value[path: ["details", "kind"]] != nil, external.group != bridge.stored.group {
                    value[path: ["details", "group"]] = .string(external.group)
                }
                return .json(status: status, bytes: value.serialized(), contentType: contentType)
            case bridge.stored.listKind:
                let items = (value["items"]?.arrayValue ?? []).map(bridge.toExternal)
                if request.wantsTable {
                    let include = try TableConverter.IncludeObject(query: request.query["includeObject"])
                    return .bytes(TableConverter.table(for: items.map(Self.bridged), info: external,
                                                       revision: value[path: ["metadata", "resourceVersion"]]?.stringValue ?? "",
                                                       continueToken: value[path: ["metadata", "continue"]]?.stringValue,
                                                       include: include), status: status)
                }
                value["apiVersion"] = .string(external.groupVersion)
                value["kind"] = .string(external.listKind)
                value["items"] = .array(items)
                return .json(status: status, bytes: value.serialized(), contentType: contentType)
            default:
                let object = bridge.toExternal(value)
                if request.wantsTable, request.method == "GET" {
                    let include = try TableConverter.IncludeObject(query: request.query["includeObject"])
                    return .bytes(TableConverter.table(for: [Self.bridged(object)], info: external,
                                                       revision: object[path: ["metadata", "resourceVersion"]]?.stringValue ?? "",
                                                       include: include), status: status)
                }
                return .json(status: status, bytes: object.serialized(), contentType: contentType)
            }
        }
    }

    /// A converted object in the shape the Table printer reads (its serialization carried along).
    static func bridged(_ object: JSONValue) -> CachedObject {
        CachedObject(key: "", object: object, bytes: object.serialized(),
                     modRevision: Int64(object[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0)
    }
}
