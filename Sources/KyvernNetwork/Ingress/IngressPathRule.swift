/// One path of an Ingress rule, in the form the matcher wants.
///
/// ImplementationSpecific is served as Prefix, as most controllers do. A Prefix path is kept
/// without its trailing slash: upstream's table has `/foo/` match `/foo`.
package struct IngressPathRule: Hashable, Sendable {
    package enum Kind: Hashable, Sendable {
        case exact, prefix
    }

    package var kind: Kind
    package var path: String
    package var backend: IngressBackend

    package init(kind: Kind, path: String, backend: IngressBackend) {
        self.kind = kind
        self.backend = backend
        let raw = path.isEmpty ? "/" : path
        if kind == .prefix, raw.count > 1, raw.hasSuffix("/") {
            self.path = String(raw.dropLast(raw.reversed().prefix { $0 == "/" }.count))
            if self.path.isEmpty { self.path = "/" }
        } else {
            self.path = raw
        }
    }

    /// `pathType` as the API spells it; nil for an unknown value.
    package init?(pathType: String?, path: String, backend: IngressBackend) {
        switch pathType {
        case "Exact": self.init(kind: .exact, path: path, backend: backend)
        case "Prefix", "ImplementationSpecific", nil: self.init(kind: .prefix, path: path, backend: backend)
        default: return nil
        }
    }

    /// Exact compares the whole path; Prefix compares `/`-separated elements, so `/foo` matches
    /// `/foo`, `/foo/` and `/foo/bar` but not `/foobar`.
    package func matches(_ requestPath: String) -> Bool {
        switch kind {
        case .exact:
            return requestPath == path
        case .prefix:
            if path == "/" { return true }
            guard requestPath.hasPrefix(path) else { return false }
            let rest = requestPath.dropFirst(path.count)
            return rest.isEmpty || rest.first == "/"
        }
    }

    /// Upstream's precedence: the longest path first; at equal length Exact before Prefix.
    static func precedes(_ lhs: Self, _ rhs: Self) -> Bool {
        if lhs.path.count != rhs.path.count { return lhs.path.count > rhs.path.count }
        return lhs.kind == .exact && rhs.kind == .prefix
    }
}
