import KyvernAPI

/// The owner reference that marks an object as managed by a controller.
///
/// Exactly one owner reference may carry `controller: true`; controllers adopt, release and
/// count objects by it, and the garbage collector honours `blockOwnerDeletion` on it.
struct ControllerRef: Sendable, Hashable {
    var apiVersion: String
    var kind: String
    var name: String
    var uid: String

    init(apiVersion: String, kind: String, name: String, uid: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
    }

    /// A reference to `owner`, an object of `apiVersion`/`kind`.
    init(owner: JSONValue, apiVersion: String, kind: String) {
        self.init(apiVersion: apiVersion, kind: kind, name: owner.name ?? "", uid: owner.uid ?? "")
    }

    /// The controller reference of `object`, if it has one.
    init?(of object: JSONValue) {
        guard let ref = object.ownerReferences.first(where: { $0["controller"]?.boolValue == true }) else { return nil }
        self.init(apiVersion: ref["apiVersion"]?.stringValue ?? "", kind: ref["kind"]?.stringValue ?? "",
                  name: ref["name"]?.stringValue ?? "", uid: ref["uid"]?.stringValue ?? "")
    }

    /// As stored in `metadata.ownerReferences`, in upstream's field order.
    var json: JSONValue {
        ["apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
         "controller": true, "blockOwnerDeletion": true]
    }

    /// The strategic-merge patch that adds this reference to `object` (adoption); the uid guards
    /// against patching a recreated object of the same name.
    func adoptionPatch(for object: JSONValue) -> JSONValue {
        ["metadata": ["ownerReferences": [json], "uid": .string(object.uid ?? "")]]
    }

    /// The strategic-merge patch that removes this reference from `object` (release).
    func releasePatch(for object: JSONValue) -> JSONValue {
        ["metadata": ["ownerReferences": [["$patch": "delete", "uid": .string(uid)]], "uid": .string(object.uid ?? "")]]
    }
}
