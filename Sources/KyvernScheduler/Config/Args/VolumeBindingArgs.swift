public import KyvernAPI

/// `VolumeBindingArgs`: how long PreBind waits for the PV binder to bind a pod's claims.
/// `shape` (storage-capacity scoring, behind a feature gate upstream) is accepted and unused.
package struct VolumeBindingArgs: PluginArgs, Hashable {
    package var bindTimeoutSeconds: Int64 = 600

    package init() {}

    package init(json: JSONValue, path: FieldPath, reader: inout ConfigReader) {
        let fields = reader.object(json, path, known: ["apiVersion", "kind", "bindTimeoutSeconds", "shape"]) ?? [:]
        if let v = reader.int64(fields["bindTimeoutSeconds"], path.child("bindTimeoutSeconds")) {
            bindTimeoutSeconds = v
        }
    }

    package func validate(path: FieldPath) -> [APIError.Cause] {
        guard bindTimeoutSeconds < 0 else { return [] }
        return [.invalid(path.child("bindTimeoutSeconds").description, .int(bindTimeoutSeconds),
                         "invalid BindTimeoutSeconds, should not be a negative value")]
    }
}
