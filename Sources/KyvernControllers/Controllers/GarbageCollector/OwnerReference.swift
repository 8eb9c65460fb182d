import KyvernAPI

/// One entry of `metadata.ownerReferences`.
struct OwnerReference: Sendable, Hashable {
    var apiVersion: String
    var kind: String
    var name: String
    var uid: String
    var blockOwnerDeletion: Bool

    init?(_ value: JSONValue) {
        guard let uid = value["uid"]?.stringValue, let name = value["name"]?.stringValue,
              let kind = value["kind"]?.stringValue, let apiVersion = value["apiVersion"]?.stringValue else { return nil }
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.blockOwnerDeletion = value["blockOwnerDeletion"] == .bool(true)
    }

    static func all(of object: JSONValue) -> [OwnerReference] {
        (object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).compactMap(OwnerReference.init)
    }
}
