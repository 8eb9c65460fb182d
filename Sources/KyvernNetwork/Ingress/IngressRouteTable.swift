/// Every served Ingress rule merged into one immutable table: host, then path, then backend.
///
/// A request's host picks one group: an exact host first, else a `*.suffix` wildcard (one label),
/// else the rules without a host. Within the group the most specific path wins; when none does,
/// the default backend (or nothing: the proxy answers 404). A host that matched does not fall
/// through to the host-less rules, as nginx's server blocks do not.
package struct IngressRouteTable: Hashable, Sendable {
    package var exactHosts: [String: [IngressPathRule]] = [:]
    /// Keyed by the suffix after `*.`.
    package var wildcardHosts: [String: [IngressPathRule]] = [:]
    package var anyHost: [IngressPathRule] = []
    package var defaultBackend: IngressBackend?

    package init() {}

    /// Adds `rule` for `host` (nil or empty: every host); an identical host, path and type
    /// already present keeps its first backend, so the oldest Ingress wins a conflict when Ingresses
    /// are added oldest first.
    package mutating func add(host: String?, rule: IngressPathRule) {
        let host = host?.lowercased() ?? ""
        func insert(_ list: inout [IngressPathRule]) {
            guard !list.contains(where: { $0.path == rule.path && $0.kind == rule.kind }) else { return }
            let index = list.firstIndex { IngressPathRule.precedes(rule, $0) } ?? list.endIndex
            list.insert(rule, at: index)
        }
        if host.isEmpty {
            insert(&anyHost)
        } else if host.hasPrefix("*.") {
            insert(&wildcardHosts[String(host.dropFirst(2)), default: []])
        } else {
            insert(&exactHosts[host, default: []])
        }
    }

    /// The backend for a request to `host` (a `Host` header, port allowed) and `target` (the
    /// request target; the query is ignored); nil when nothing matches and there is no default.
    package func match(host: String, target: String) -> IngressBackend? {
        let name = Self.hostName(host)
        let path = Self.path(target)
        let group: [IngressPathRule]
        if let rules = exactHosts[name] {
            group = rules
        } else if let dot = name.firstIndex(of: "."), let rules = wildcardHosts[String(name[name.index(after: dot)...])] {
            group = rules
        } else {
            group = anyHost
        }
        return group.first { $0.matches(path) }?.backend ?? defaultBackend
    }

    /// Every backend the table can send to, for resolving endpoints.
    package var backends: Set<IngressBackend> {
        var all = Set(anyHost.map(\.backend))
        for rules in exactHosts.values { all.formUnion(rules.map(\.backend)) }
        for rules in wildcardHosts.values { all.formUnion(rules.map(\.backend)) }
        if let defaultBackend { all.insert(defaultBackend) }
        return all
    }

    /// Lowercased, without a port (`[v6]:port` keeps the brackets' content).
    static func hostName(_ host: String) -> String {
        var text = Substring(host)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.lastIndex(of: ":") {
            text = text[..<colon]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        // most clients send it lowercased already: no second copy then
        return text.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? text.lowercased() : String(text)
    }

    /// The path of a request target: no query or fragment; an absolute-form URI loses its origin.
    static func path(_ target: String) -> String {
        var text = Substring(target)
        if !text.hasPrefix("/"), let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") {
            let afterScheme = text[text.index(colon, offsetBy: 3)...]
            text = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let end = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<end] }
        return text.isEmpty ? "/" : String(text)
    }
}
