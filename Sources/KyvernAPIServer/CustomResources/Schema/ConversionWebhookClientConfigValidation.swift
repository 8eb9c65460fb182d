import KyvernAPI

/// A conversion webhook's `clientConfig` as upstream checks it: exactly one of `url` (https, a host,
/// no user, query or fragment) or `service` (name, namespace, a valid port and path).
enum ConversionWebhookClientConfigValidation {
    static let form = "; desired format: https://host[/path]"

    static func validate(_ config: JSONValue, path: String) -> [APIError.Cause] {
        let url = config["url"]?.stringValue
        let service = config["service"].flatMap { $0.isNull ? nil : $0 }
        switch (url, service) {
        case (nil, nil), (.some, .some):
            return [.required(path, "exactly one of url or service is required")]
        case (let url?, nil):
            return validateURL(url, path: path + ".url")
        case (nil, let service?):
            return validateService(service, path: path + ".service")
        }
    }

    static func validateURL(_ url: String, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        var rest = Substring(url)
        var scheme = ""
        if let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains("/") {
            scheme = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        var fragment = ""
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        var query = ""
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        var host = ""
        var user: String? = nil
        if rest.hasPrefix("//") {
            let authority = rest.dropFirst(2).prefix { $0 != "/" }
            if let at = authority.lastIndex(of: "@") {
                user = String(authority[..<at])
                host = String(authority[authority.index(after: at)...])
            } else {
                host = String(authority)
            }
        }
        if scheme != "https" {
            causes.append(.invalid(path, .string(scheme), "'https' is the only allowed URL scheme" + form))
        }
        if host.isEmpty { causes.append(.invalid(path, .string(host), "host must be specified" + form)) }
        if let user { causes.append(.invalid(path, .string(user), "user information is not permitted in the URL")) }
        if !fragment.isEmpty { causes.append(.invalid(path, .string(fragment), "fragments are not permitted in the URL")) }
        if !query.isEmpty { causes.append(.invalid(path, .string(query), "query parameters are not permitted in the URL")) }
        return causes
    }

    static func validateService(_ service: JSONValue, path: String) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        if (service["name"]?.stringValue ?? "").isEmpty {
            causes.append(.required(path + ".name", "service name is required"))
        }
        if (service["namespace"]?.stringValue ?? "").isEmpty {
            causes.append(.required(path + ".namespace", "service namespace is required"))
        }
        let port = service["port"]?.intValue ?? 443
        if port < 1 || port > 65535 {
            causes.append(.invalid(path + ".port", .int(port), "port is not valid: must be between 1 and 65535, inclusive"))
        }
        guard let urlPath = service["path"]?.stringValue, !urlPath.isEmpty, urlPath != "/" else { return causes }
        if urlPath == "//" {
            return causes + [.invalid(path + ".path", .string(urlPath), "segment[0] may not be empty")]
        }
        if !urlPath.hasPrefix("/") {
            causes.append(.invalid(path + ".path", .string(urlPath), "must start with a '/'"))
        }
        var check = Substring(urlPath).dropFirst()
        if check.hasSuffix("/") { check = check.dropLast() }
        for (i, step) in check.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if step.isEmpty {
                causes.append(.invalid(path + ".path", .string(urlPath), "segment[\(i)] may not be empty"))
                continue
            }
            for failure in NameValidation.isDNS1123Subdomain(String(step)) {
                causes.append(.invalid(path + ".path", .string(urlPath), "segment[\(i)]: \(failure)"))
            }
        }
        return causes
    }
}
