/// One challenge of a `WWW-Authenticate` header: `Bearer realm="https://auth/token",service="reg",scope="…"`
/// or `Basic realm="…"`. Registries send one of them on a 401.
struct AuthChallenge: Sendable, Hashable {
    var scheme: String
    var parameters: [String: String]

    /// Parses a header value that may hold several challenges (`Basic realm="x", Bearer realm="y"`).
    /// Quoted values may contain commas and escaped quotes.
    static func parse(_ header: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        var chars = Array(header)
        chars.append(",")
        var i = 0

        func skipSpaces() { while i < chars.count && (chars[i] == " " || chars[i] == "\t") { i += 1 } }
        func token() -> String {
            let start = i
            while i < chars.count && !" \t,=\"".contains(chars[i]) { i += 1 }
            return String(chars[start..<i])
        }

        while i < chars.count {
            skipSpaces()
            if chars[i] == "," { i += 1; continue }
            let word = token()
            skipSpaces()
            if i < chars.count && chars[i] == "=" , !challenges.isEmpty {
                // A parameter of the current challenge.
                i += 1
                skipSpaces()
                var value = ""
                if i < chars.count && chars[i] == "\"" {
                    i += 1
                    while i < chars.count && chars[i] != "\"" {
                        if chars[i] == "\\" && i + 1 < chars.count { i += 1 }
                        value.append(chars[i])
                        i += 1
                    }
                    i += 1
                } else {
                    value = token()
                }
                challenges[challenges.count - 1].parameters[word.lowercased()] = value
            } else if !word.isEmpty {
                challenges.append(AuthChallenge(scheme: word.lowercased(), parameters: [:]))
                // `Bearer realm=…`: the first parameter follows the scheme without a comma.
            } else {
                i += 1
            }
        }
        return challenges
    }
}
