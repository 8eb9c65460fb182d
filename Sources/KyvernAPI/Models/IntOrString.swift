/// A field that holds either a number or a string (`maxSurge: 1` or `"25%"`, a port number or name).
public enum IntOrString: JSONRepresentable, Codable, Sendable, Hashable,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, CustomStringConvertible
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(json: JSONValue) throws {
        switch json {
        case .string(let s): self = .string(s)
        default:
            guard let i = json.intValue, let narrow = Int32(exactly: i) else {
                throw ModelDecodingError(message: "expected int or string, found \(json.jsonTypeName)")
            }
            self = .int(narrow)
        }
    }

    public var json: JSONValue {
        switch self {
        case .int(let i): .int(Int64(i))
        case .string(let s): .string(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        }
    }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONValue(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}
