package import KyvernClient

/// A resource the garbage collector watches, with the apiVersion/kind that ownerReferences use
/// to name its objects.
package struct GCResource: Sendable, Hashable {
    package var ref: ResourceRef
    package var kind: String

    package init(ref: ResourceRef, kind: String) {
        self.ref = ref
        self.kind = kind
    }

    package var apiVersion: String { ref.group.isEmpty ? ref.version : "\(ref.group)/\(ref.version)" }

    /// The group of an ownerReference's apiVersion ("apps/v1" → "apps", "v1" → "").
    static func group(ofAPIVersion apiVersion: String) -> String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }
}
