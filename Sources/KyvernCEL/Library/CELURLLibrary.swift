/// Kubernetes' URL library: `url(s)`, `isURL(s)` and the accessors, following Go's `url.ParseRequestURI`
/// (an absolute URL or an absolute path; no fragments).
enum CELURLLibrary {
    static let type = CELType.opaque("kubernetes.URL")

    static func parse(_ s: String) -> CELURL? {
        guard !s.isEmpty, !s.contains("#"), !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == " " }) else { return nil }
        var rest = Substring(s)
        var query: [String: [String]] = [:]
        var rawQuery = ""
        if let q = rest.firstIndex(of: "?") {
            rawQuery = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        var scheme = "", host = ""
        if rest.hasPrefix("/") {
            // an absolute path
        } else {
            guard let colon = rest.firstIndex(of: ":") else { return nil }
            scheme = String(rest[..<colon])
            guard let f = scheme.first, f.isLetter, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
            rest = rest[rest.index(after: colon)...]
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                let end = rest.firstIndex(of: "/") ?? rest.endIndex
                host = String(rest[..<end])
                if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
                rest = rest[end...]
            } else if !rest.hasPrefix("/") {
                return nil
            }
        }
        for pair in rawQuery.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = (kv[0].removingPercentEncoding ?? String(kv[0])).replacingPlus
            let v = kv.count > 1 ? ((kv[1].removingPercentEncoding ?? String(kv[1])).replacingPlus) : ""
            query[k, default: []].append(v)
        }
        return CELURL(text: s, scheme: scheme, host: host, escapedPath: String(rest), query: query)
    }

    static func add(_ t: inout CELFunctionTable) {
        let u = type
        @Sendable func url(_ v: CELValue, _ name: String) throws(CELEvalError) -> CELURL {
            guard case .url(let x) = v else { throw .noSuchOverload(name) }
            return x
        }
        t.add("url", [.init("string_to_url", [.string], u)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0] else { throw .noSuchOverload("url") }
            guard let parsed = parse(s) else { throw CELEvalError("URL parse error during conversion from string: parse \"\(s)\": invalid URI for request") }
            return .url(parsed)
        }
        t.add("isURL", [.init("is_url_string", [.string], .bool)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            guard case .string(let s) = a[0] else { throw .noSuchOverload("isURL") }
            return .bool(parse(s) != nil)
        }
        t.add("getScheme", [.init("url_get_scheme", member: true, [u], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .string(try url(a[0], "getScheme").scheme)
        }
        t.add("getHost", [.init("url_get_host", member: true, [u], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .string(try url(a[0], "getHost").host)
        }
        t.add("getHostname", [.init("url_get_hostname", member: true, [u], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let h = try url(a[0], "getHostname").host
            if h.hasPrefix("["), let close = h.firstIndex(of: "]") { return .string(String(h[h.index(after: h.startIndex)..<close])) }
            if let colon = h.lastIndex(of: ":") { return .string(String(h[..<colon])) }
            return .string(h)
        }
        t.add("getPort", [.init("url_get_port", member: true, [u], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let h = try url(a[0], "getPort").host
            let afterBracket = h.lastIndex(of: "]").map { h[h.index(after: $0)...] } ?? Substring(h)
            if let colon = afterBracket.lastIndex(of: ":") { return .string(String(afterBracket[afterBracket.index(after: colon)...])) }
            return .string("")
        }
        t.add("getEscapedPath", [.init("url_get_escaped_path", member: true, [u], .string)]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            .string(try url(a[0], "getEscapedPath").escapedPath)
        }
        t.add("getQuery", [.init("url_get_query", member: true, [u], .map(.string, .list(.string)))]) { (a: [CELValue]) throws(CELEvalError) -> CELValue in
            let q = try url(a[0], "getQuery").query
            return .map(CELMap(stringKeyed: q.keys.sorted().map { ($0, .list(q[$0]!.map { .string($0) })) }))
        }
    }
}

extension StringProtocol {
    var replacingPlus: String { String(self).split(separator: "+", omittingEmptySubsequences: false).joined(separator: " ") }
    /// Percent-decoding without Foundation.
    var removingPercentEncoding: String? {
        var bytes: [UInt8] = []
        var it = Array(utf8)[...]
        while let b = it.popFirst() {
            if b == 37 {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v); it = it.dropFirst(2)
            } else { bytes.append(b) }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
