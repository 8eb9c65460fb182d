/// A lexical token of CEL.
enum CELToken: Sendable, Equatable {
    case int(String)        // digits as written (decimal or 0x hex), sign handled by the parser
    case uint(String)
    case double(String)
    case string(String)
    case bytes([UInt8])
    case ident(String)
    case punct(String)      // operators and punctuation, e.g. "==", "?.", "[?"
    case eof
}

struct CELLexeme: Sendable {
    var token: CELToken
    var offset: Int
}
