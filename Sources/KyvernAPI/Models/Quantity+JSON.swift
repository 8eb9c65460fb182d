/// A quantity travels as its string (`"250m"`); the typed models hold it parsed, and write it back
/// in the spelling it was read in when that is upstream's canonical one (what the server stores).
extension Quantity: JSONRepresentable, Codable {
    public init(json: JSONValue) throws {
        guard case .string(let text) = json else {
            throw ModelDecodingError(message: "expected quantity string, found \(json.jsonTypeName)")
        }
        do {
            try self.init(parsing: text)
        } catch {
            throw ModelDecodingError(message: "invalid quantity \(text.debugDescription): \(error)")
        }
    }

    public var json: JSONValue { .string(description) }

    public init(from decoder: any Decoder) throws { try self.init(json: JSONValue(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}
