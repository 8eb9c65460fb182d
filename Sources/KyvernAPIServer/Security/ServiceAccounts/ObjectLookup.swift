package import KyvernAPI

/// Reads one object by resource, namespace and name: how an authenticator sees the cluster
/// without depending on the resource handler (the API server backs it with its watch cache).
package struct ObjectLookup: Sendable {
    private let read: @Sendable (_ resource: String, _ namespace: String?, _ name: String) async -> JSONValue?

    package init(_ read: @escaping @Sendable (_ resource: String, _ namespace: String?, _ name: String) async -> JSONValue?) {
        self.read = read
    }

    /// The core (`v1`) object, or nil if it does not exist.
    package func get(_ resource: String, namespace: String?, name: String) async -> JSONValue? {
        await read(resource, namespace, name)
    }
}
