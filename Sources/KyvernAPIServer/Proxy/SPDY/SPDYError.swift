/// Why a SPDY connection cannot go on; the session answers it with GOAWAY (protocol error).
enum SPDYError: Error, Sendable, Hashable, CustomStringConvertible {
    case compression(String)
    case malformed(String)

    var description: String {
        switch self {
        case .compression(let detail): "SPDY header compression: \(detail)"
        case .malformed(let detail): "malformed SPDY frame: \(detail)"
        }
    }
}
