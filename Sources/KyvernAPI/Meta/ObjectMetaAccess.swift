/// Typed access to the TypeMeta and ObjectMeta fields of an API object held as `JSONValue`.
///
/// The server handles every kind generically, yet reads and stamps the same few metadata fields on
/// every request; these accessors keep that code short. Getters return nil (or empty) for absent
/// or wrongly typed fields; setters write in place (no copy of the object) and remove the field
/// when given nil or an empty collection, as Go's `omitempty` leaves it out.
extension JSONValue {
    // MARK: TypeMeta

    public var apiVersion: String? {
        get { self["apiVersion"]?.stringValue }
        set { self["apiVersion"] = newValue.map(JSONValue.string) }
    }

    public var kind: String? {
        get { self["kind"]?.stringValue }
        set { self["kind"] = newValue.map(JSONValue.string) }
    }

    // MARK: ObjectMeta strings

    public var name: String? {
        get { metadataString("name") }
        set { setMetadata("name", newValue.map(JSONValue.string)) }
    }

    public var namespace: String? {
        get { metadataString("namespace") }
        set { setMetadata("namespace", newValue.map(JSONValue.string)) }
    }

    public var generateName: String? {
        get { metadataString("generateName") }
        set { setMetadata("generateName", newValue.map(JSONValue.string)) }
    }

    public var uid: String? {
        get { metadataString("uid") }
        set { setMetadata("uid", newValue.map(JSONValue.string)) }
    }

    public var resourceVersion: String? {
        get { metadataString("resourceVersion") }
        set { setMetadata("resourceVersion", newValue.map(JSONValue.string)) }
    }

    /// RFC 3339, e.g. "2026-11-26T04:39:11Z" (see `Timestamp`).
    public var creationTimestamp: String? {
        get { metadataString("creationTimestamp") }
        set { setMetadata("creationTimestamp", newValue.map(JSONValue.string)) }
    }

    /// Set once a delete has been accepted for an object that still has finalizers.
    public var deletionTimestamp: String? {
        get { metadataString("deletionTimestamp") }
        set { setMetadata("deletionTimestamp", newValue.map(JSONValue.string)) }
    }

    // MARK: ObjectMeta numbers

    /// Bumped by the server on every change of `spec`.
    public var generation: Int64? {
        get { self["metadata"]?["generation"]?.intValue }
        set { setMetadata("generation", newValue.map(JSONValue.int)) }
    }

    public var deletionGracePeriodSeconds: Int64? {
        get { self["metadata"]?["deletionGracePeriodSeconds"]?.intValue }
        set { setMetadata("deletionGracePeriodSeconds", newValue.map(JSONValue.int)) }
    }

    // MARK: ObjectMeta collections

    /// The string-valued labels; an empty map removes the field.
    public var labels: [String: String] {
        get { Self.stringMap(self["metadata"]?["labels"]) }
        set { setMetadata("labels", newValue.isEmpty ? nil : .object(newValue.mapValues(JSONValue.string))) }
    }

    /// The string-valued annotations; an empty map removes the field.
    public var annotations: [String: String] {
        get { Self.stringMap(self["metadata"]?["annotations"]) }
        set { setMetadata("annotations", newValue.isEmpty ? nil : .object(newValue.mapValues(JSONValue.string))) }
    }

    /// The finalizers, in order; an empty list removes the field.
    public var finalizers: [String] {
        get { self["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        set { setMetadata("finalizers", newValue.isEmpty ? nil : .array(newValue.map(JSONValue.string))) }
    }

    /// The owner references as raw objects; an empty list removes the field.
    public var ownerReferences: [JSONValue] {
        get { self["metadata"]?["ownerReferences"]?.arrayValue ?? [] }
        set { setMetadata("ownerReferences", newValue.isEmpty ? nil : .array(newValue)) }
    }

    // MARK: in-place mutation

    /// Sets (or, with nil, removes) one member of `metadata`, creating `metadata` when needed.
    public mutating func setMetadata(_ key: String, _ value: JSONValue?) {
        withMetadata { $0[key] = value }
    }

    /// Runs `body` on the `metadata` map in place: neither the object nor its metadata is copied.
    /// A missing `metadata` is created only if `body` leaves something in it.
    public mutating func withMetadata<R, E: Error>(_ body: (inout [String: JSONValue]) throws(E) -> R) throws(E) -> R {
        var root = takeObject()
        var meta: [String: JSONValue] = [:]
        var hadObject = false
        var other: JSONValue? = nil
        switch root.removeValue(forKey: "metadata") {
        case .object(let m)?:
            meta = m
            hadObject = true
        case let value?:
            other = value
        case nil:
            break
        }
        defer {
            if hadObject || !meta.isEmpty {
                root["metadata"] = .object(meta)
            } else if let other {
                root["metadata"] = other
            }
            self = .object(root)
        }
        return try body(&meta)
    }

    private func metadataString(_ key: String) -> String? {
        guard case .object(let o) = self, case .object(let m)? = o["metadata"] else { return nil }
        return m[key]?.stringValue
    }

    private static func stringMap(_ value: JSONValue?) -> [String: String] {
        guard case .object(let o)? = value else { return [:] }
        var result: [String: String] = [:]
        result.reserveCapacity(o.count)
        for (k, v) in o {
            if case .string(let s) = v { result[k] = s }
        }
        return result
    }
}
