/// Upstream's name and label format checks (`k8s.io/apimachinery/pkg/util/validation`).
///
/// Each returns the list of problems worded exactly as upstream does (empty when valid), because
/// those strings reach users inside `Invalid value: ...` causes and tools match on them.
/// The formats are checked by hand over UTF-8 bytes rather than with regular expressions:
/// they run on every write. Lengths count bytes, as Go's `len` does.
public enum NameValidation {
    public static let dns1123LabelMaxLength = 63
    public static let dns1123SubdomainMaxLength = 253
    public static let dns1035LabelMaxLength = 63
    public static let qualifiedNameMaxLength = 63
    public static let labelValueMaxLength = 63

    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?"
    static let dns1035LabelMessage = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFormat = "(" + qualifiedNameFormat + ")?"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

    // MARK: message builders (upstream's MaxLenError, RegexError, EmptyError)

    public static func maxLenError(_ length: Int) -> String {
        "must be no more than \(length) characters"
    }

    public static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        return message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ")
            + "regex used for validation is '" + format + "')"
    }

    public static func emptyError() -> String { "must be non-empty" }

    // MARK: checks

    /// A DNS (RFC 1123) label: most namespaced names of kinds that become host names, and namespaces.
    public static func isDNS1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        let count = value.utf8.count
        if count > dns1123LabelMaxLength { errors.append(maxLenError(dns1123LabelMaxLength)) }
        if !matchesDNS1123Label(value.utf8[...]) {
            if matchesDNS1123Subdomain(value) {
                errors.append("must not contain dots")
            } else {
                errors.append(regexError(dns1123LabelMessage, dns1123LabelFormat, "my-name", "123-abc"))
            }
        }
        return errors
    }

    /// A DNS (RFC 1123) subdomain: the name rule of most kinds.
    public static func isDNS1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLenError(dns1123SubdomainMaxLength)) }
        if !matchesDNS1123Subdomain(value) {
            errors.append(regexError(dns1123SubdomainMessage, dns1123SubdomainFormat, "example.com"))
        }
        return errors
    }

    /// A DNS (RFC 1035) label: Service names, which must start with a letter.
    public static func isDNS1035Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1035LabelMaxLength { errors.append(maxLenError(dns1035LabelMaxLength)) }
        if !matchesDNS1035Label(value) {
            errors.append(regexError(dns1035LabelMessage, dns1035LabelFormat, "my-name", "abc-123"))
        }
        return errors
    }

    /// Names that must only be safe as one URL path segment (e.g. RBAC roles).
    public static func isPathSegmentName(_ value: String) -> [String] {
        if value == "." || value == ".." { return ["may not be '\(value)'"] }
        return isPathSegmentPrefix(value)
    }

    /// The `generateName` form of `isPathSegmentName`: "." and ".." are fine as prefixes.
    public static func isPathSegmentPrefix(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.contains(UInt8(ascii: "/")) { errors.append("may not contain '/'") }
        if value.utf8.contains(UInt8(ascii: "%")) { errors.append("may not contain '%'") }
        return errors
    }

    /// A qualified name (label and annotation keys, finalizers): `[prefix/]name` where the prefix is a
    /// DNS subdomain and the name at most 63 characters of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    public static func isQualifiedName(_ value: String) -> [String] {
        let utf8 = value.utf8
        var errors: [String] = []
        var name = utf8[...]
        if let slash = utf8.firstIndex(of: UInt8(ascii: "/")) {
            let rest = utf8[utf8.index(after: slash)...]
            if rest.contains(UInt8(ascii: "/")) {
                return ["a qualified name "
                    + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
            }
            let prefix = utf8[..<slash]
            if prefix.isEmpty {
                errors.append("prefix part " + emptyError())
            } else {
                let prefixErrors = isDNS1123Subdomain(String(Substring(prefix)))
                errors.append(contentsOf: prefixErrors.map { "prefix part " + $0 })
            }
            name = rest
        }
        if name.isEmpty {
            errors.append("name part " + emptyError())
        } else if name.count > qualifiedNameMaxLength {
            errors.append("name part " + maxLenError(qualifiedNameMaxLength))
        }
        if !matchesQualifiedNamePart(name) {
            errors.append("name part "
                + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc"))
        }
        return errors
    }

    /// A label value: empty, or at most 63 characters of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    public static func isValidLabelValue(_ value: String) -> [String] {
        var errors: [String] = []
        let utf8 = value.utf8
        if utf8.count > labelValueMaxLength { errors.append(maxLenError(labelValueMaxLength)) }
        if !utf8.isEmpty && !matchesQualifiedNamePart(utf8[...]) {
            errors.append(regexError(labelValueMessage, labelValueFormat, "MyValue", "my_value", "12345"))
        }
        return errors
    }

    // MARK: byte matchers

    @inline(__always)
    static func isLowerAlnum(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    @inline(__always)
    static func isAlnum(_ b: UInt8) -> Bool {
        isLowerAlnum(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func matchesDNS1123Label(_ bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else {
            return false
        }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// Labels of `[a-z0-9]([-a-z0-9]*[a-z0-9])?` joined by single dots.
    static func matchesDNS1123Subdomain(_ value: String) -> Bool {
        let utf8 = value.utf8
        var labelStart = utf8.startIndex
        var i = utf8.startIndex
        while i != utf8.endIndex {
            if utf8[i] == UInt8(ascii: ".") {
                if !matchesDNS1123Label(Substring(value)[labelStart..<i].utf8) { return false }
                labelStart = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        return matchesDNS1123Label(Substring(value)[labelStart..<utf8.endIndex].utf8)
    }

    /// `[a-z]([-a-z0-9]*[a-z0-9])?`
    static func matchesDNS1035Label(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard let first = utf8.first, let last = utf8.last,
              first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"), isLowerAlnum(last) else { return false }
        return utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func matchesQualifiedNamePart(_ bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        return bytes.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }
}

/// Which name format a kind requires (upstream's `ValidateNameFunc`s).
public enum NameRule: Sendable, Hashable {
    /// Most kinds: `NameIsDNSSubdomain`.
    case dns1123Subdomain
    /// Namespaces and a few others: `NameIsDNSLabel`.
    case dns1123Label
    /// Services: `NameIsDNS1035Label`.
    case dns1035Label
    /// RBAC and other kinds whose names need only be safe in a URL path: `ValidatePathSegmentName`.
    case pathSegment

    /// The problems with `name`; `prefix` is true for a `generateName`, which may end in '-'
    /// because random characters will follow.
    public func validate(_ name: String, prefix: Bool = false) -> [String] {
        switch self {
        case .pathSegment:
            return prefix ? NameValidation.isPathSegmentPrefix(name) : NameValidation.isPathSegmentName(name)
        case .dns1123Subdomain:
            return NameValidation.isDNS1123Subdomain(prefix ? Self.maskTrailingDash(name) : name)
        case .dns1123Label:
            return NameValidation.isDNS1123Label(prefix ? Self.maskTrailingDash(name) : name)
        case .dns1035Label:
            return NameValidation.isDNS1035Label(prefix ? Self.maskTrailingDash(name) : name)
        }
    }

    /// Upstream's `maskTrailingDash`: replaces the last two bytes of a name ending in '-' with "a",
    /// so a prefix like "web-" is checked as a complete name would be.
    static func maskTrailingDash(_ name: String) -> String {
        let utf8 = Array(name.utf8)
        // A lone "-" (which upstream cannot slice) is left as it is, and so stays invalid.
        guard utf8.count >= 2, utf8.last == UInt8(ascii: "-") else { return name }
        return String(decoding: utf8[..<(utf8.count - 2)] + [UInt8(ascii: "a")], as: UTF8.self)
    }
}
