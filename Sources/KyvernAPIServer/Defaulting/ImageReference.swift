/// The tag of a container image reference, as the image pull policy default reads it.
///
/// Upstream pulls `Always` when the tag is `latest` — written or implied by a reference with
/// neither tag nor digest — and `IfNotPresent` otherwise, including for a reference it cannot parse.
struct ImageReference: Sendable, Equatable {
    var tag: String?
    var digest: String?

    /// Parses `[domain/]path[:tag][@digest]`; nil when the reference is not valid.
    init?(_ reference: String) {
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard Self.isDigest(digest) else { return nil }
            self.digest = String(digest)
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        let nameStart = lastSlash.map { rest.index(after: $0) } ?? rest.startIndex
        if let colon = rest[nameStart...].lastIndex(of: ":") {
            let tag = rest[rest.index(after: colon)...]
            guard Self.isTag(tag) else { return nil }
            self.tag = String(tag)
            rest = rest[..<colon]
        }
        guard Self.isName(rest) else { return nil }
    }

    /// The pull policy upstream defaults to for this image.
    static func defaultPullPolicy(for image: String) -> String {
        guard let reference = ImageReference(image) else { return "IfNotPresent" }
        let tag = reference.tag ?? (reference.digest == nil ? "latest" : "")
        return tag == "latest" ? "Always" : "IfNotPresent"
    }

    private static func isTag(_ tag: Substring) -> Bool {
        guard let first = tag.first, tag.count <= 128, first.isASCII, first.isLetter || first.isNumber || first == "_" else {
            return false
        }
        return tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    private static func isDigest(_ digest: Substring) -> Bool {
        guard let colon = digest.firstIndex(of: ":") else { return false }
        let algorithm = digest[..<colon], hex = digest[digest.index(after: colon)...]
        return !algorithm.isEmpty && hex.count >= 32
            && algorithm.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "+._-".contains($0)) }
            && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// A domain (when the first component looks like one) then lower-case path components.
    private static func isName(_ name: Substring) -> Bool {
        guard !name.isEmpty else { return false }
        var components = name.split(separator: "/", omittingEmptySubsequences: false)
        if components.count > 1 {
            let first = components[0]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                guard isDomain(first) else { return false }
                components.removeFirst()
            }
        }
        // A bare 64-character hex string is an image ID, not a name.
        if components.count == 1, components[0].count == 64, components[0].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return false
        }
        return components.allSatisfy(isPathComponent)
    }

    private static func isDomain(_ domain: Substring) -> Bool {
        var host = domain
        if let colon = domain.lastIndex(of: ":"), !domain.hasPrefix("[") || domain[..<colon].hasSuffix("]") {
            let port = domain[domain.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            host = domain[..<colon]
        }
        if host.hasPrefix("[") { return host.hasSuffix("]") && host.count > 2 }
        return !host.isEmpty && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.first, let last = label.last else { return false }
            return first.isASCII && (first.isLetter || first.isNumber) && last.isASCII && (last.isLetter || last.isNumber)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
    private static func isPathComponent(_ component: Substring) -> Bool {
        guard let first = component.first, let last = component.last,
              isAlnum(first), isAlnum(last) else { return false }
        var separator = ""
        for character in component {
            if isAlnum(character) {
                if !separator.isEmpty {
                    guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" }) else {
                        return false
                    }
                    separator = ""
                }
            } else if ".-_".contains(character) {
                separator.append(character)
            } else {
                return false
            }
        }
        return true
    }

    private static func isAlnum(_ character: Character) -> Bool {
        character.isASCII && (character.isLowercase || character.isNumber)
    }
}
