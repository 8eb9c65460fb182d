/// A parsed, normalised image reference: `busybox` is `docker.io/library/busybox:latest`, as the
/// kubelet and containerd read it, so the same image has one name however a pod spells it.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// Registry host and optional port, e.g. `docker.io`, `127.0.0.1:5000`.
    public var domain: String
    /// Repository path inside the registry, e.g. `library/busybox`.
    public var path: String
    public var tag: String?
    /// `sha256:<64 hex>` when the reference pins a manifest.
    public var digest: String?

    static let defaultDomain = "docker.io"

    /// `domain/path`, the repository part shown in `image ls`.
    public var repository: String { "\(domain)/\(path)" }

    /// The normalised string: `repository:tag`, `repository@digest` or `repository:tag@digest`.
    public var description: String {
        var s = repository
        if let tag { s += ":\(tag)" }
        if let digest { s += "@\(digest)" }
        return s
    }

    /// What the registry API calls the manifest: the digest when pinned, the tag otherwise.
    var manifestReference: String { digest ?? tag ?? "latest" }

    /// The host the registry API lives on (`docker.io` is served by `registry-1.docker.io`).
    var registryHost: String { domain == Self.defaultDomain ? "registry-1.docker.io" : domain }

    /// Loopback registries speak plain HTTP, as containerd assumes for localhost.
    var usesPlainHTTP: Bool {
        let host = Self.hostPart(of: domain)
        return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]"
            || host.hasPrefix("127.")
    }

    /// Parses `text` and fills in the defaults (domain, `library/`, tag `latest` when there is no digest).
    public init(parsing text: String) throws(ImageError) {
        guard !text.isEmpty, text.count <= 4096 else { throw .invalidReference(text) }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard Self.isValidDigest(d) else { throw .invalidReference(text) }
            digest = d
            rest = rest[..<at]
        }
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let t = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(t) else { throw .invalidReference(text) }
            tag = t
            rest = rest[..<colon]
        }
        var domain = Self.defaultDomain
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase) {
                domain = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        if domain == Self.defaultDomain && !path.contains("/") { path = "library/" + path }
        guard Self.isValidDomain(domain) else { throw .invalidReference(text) }
        guard path.allSatisfy({ !$0.isUppercase }) else { throw .invalidReference(text, reason: "repository name must be lowercase") }
        guard !path.isEmpty, path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(Self.isValidPathComponent),
              domain.count + 1 + path.count <= 255
        else { throw .invalidReference(text) }
        if tag == nil && digest == nil { tag = "latest" }
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    init(domain: String, path: String, tag: String?, digest: String?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// The same repository, pinned to `digest` (how a pulled image's `repoDigests` entry is spelt).
    func pinned(to digest: String) -> ImageReference {
        ImageReference(domain: domain, path: path, tag: nil, digest: digest)
    }

    static func isValidDigest(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    static func isValidTag(_ s: String) -> Bool {
        guard let first = s.first, s.count <= 128, first.isASCII, first.isLetter || first.isNumber || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    /// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
    static func isValidPathComponent(_ s: Substring) -> Bool {
        guard let first = s.first, let last = s.last, Self.isAlnum(first), Self.isAlnum(last) else { return false }
        var previous: Character = first
        var underscores = 0
        for c in s {
            if Self.isAlnum(c) { underscores = 0; previous = c; continue }
            switch c {
            case ".": guard Self.isAlnum(previous) else { return false }
            case "_":
                underscores += 1
                guard underscores <= 2, Self.isAlnum(previous) || previous == "_" else { return false }
            case "-": guard Self.isAlnum(previous) || previous == "-" else { return false }
            default: return false
            }
            previous = c
        }
        return true
    }

    static func isValidDomain(_ s: String) -> Bool {
        let host = hostPart(of: s)
        if s.count > host.count {
            let port = s.dropFirst(host.count + 1)
            guard !port.isEmpty, port.allSatisfy(\.isNumber) else { return false }
        }
        if host.hasPrefix("[") { return host.hasSuffix("]") }
        return !host.isEmpty && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }

    /// The host of `host[:port]`, keeping IPv6 brackets.
    static func hostPart(of domain: String) -> String {
        if domain.hasPrefix("["), let close = domain.firstIndex(of: "]") { return String(domain[...close]) }
        return String(domain.split(separator: ":", maxSplits: 1).first ?? "")
    }

    private static func isAlnum(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber)
    }
}
