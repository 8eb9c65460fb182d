public import KyvernAPI

/// Where objects live in the store: `/registry/<group or core>/<resource>/[<namespace>/]<name>`.
///
/// Keys sort by namespace then name, so a namespace's objects are one contiguous range.
public enum StorageKeys {
    public static let root = "/registry/"

    public static func resourcePrefix(group: String, resource: String) -> String {
        "\(root)\(group.isEmpty ? "core" : group)/\(resource)/"
    }

    public static func prefix(_ info: ResourceInfo, namespace: String?) -> String {
        let base = resourcePrefix(group: info.group, resource: info.resource)
        if info.namespaced, let namespace { return "\(base)\(namespace)/" }
        return base
    }

    public static func key(_ info: ResourceInfo, namespace: String?, name: String) -> String {
        if info.namespaced { return "\(resourcePrefix(group: info.group, resource: info.resource))\(namespace ?? "")/\(name)" }
        return "\(resourcePrefix(group: info.group, resource: info.resource))\(name)"
    }

    /// The resource prefix (`/registry/g/r/`) a key belongs to.
    public static func bucket(ofKey key: String) -> Substring? {
        guard key.hasPrefix(root) else { return nil }
        var slashes = 0
        var index = key.startIndex
        while index < key.endIndex {
            if key[index] == "/" {
                slashes += 1
                if slashes == 4 { return key[...index] }
            }
            index = key.index(after: index)
        }
        return nil
    }
}
