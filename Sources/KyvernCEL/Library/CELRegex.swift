import Foundation
import Synchronization

/// RE2 patterns through Foundation's regular expressions (the RE2 subset CEL rules use is shared);
/// compiled patterns are cached because rules run the same pattern for every object.
struct CELRegex: @unchecked Sendable {
    let regex: NSRegularExpression

    private static let cache = Mutex<[String: CELRegex]>([:])

    static func compile(_ pattern: String) throws(CELEvalError) -> CELRegex {
        if let hit = cache.withLock({ $0[pattern] }) { return hit }
        // RE2's named groups `(?P<name>...)` are `(?<name>...)` here.
        let translated = pattern.isEmpty ? "(?:)" : pattern.replacingOccurrences(of: "(?P<", with: "(?<")
        guard let r = try? NSRegularExpression(pattern: translated) else {
            throw CELEvalError("error parsing regexp: invalid pattern: `\(pattern)`")
        }
        let compiled = CELRegex(regex: r)
        cache.withLock { c in
            if c.count > 1000 { c.removeAll() }
            c[pattern] = compiled
        }
        return compiled
    }

    func firstMatch(in s: String) -> String? {
        let ns = s as NSString
        guard let m = regex.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { return nil }
        return ns.substring(with: m.range)
    }

    func allMatches(in s: String, limit: Int) -> [String] {
        let ns = s as NSString
        var out: [String] = []
        for m in regex.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
            if limit >= 0, out.count >= limit { break }
            out.append(ns.substring(with: m.range))
        }
        return out
    }
}
