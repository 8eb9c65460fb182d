public import KyvernAPI

/// A Kubernetes quantity as a CEL value (`quantity("1Gi")`).
public struct CELQuantity: Sendable {
    public var quantity: Quantity
    public init(_ quantity: Quantity) { self.quantity = quantity }
}

/// A parsed URL as a CEL value (`url("https://...")`), keeping the text it was made from.
public struct CELURL: Sendable {
    public var text: String
    public var scheme: String
    public var host: String
    public var escapedPath: String
    public var query: [String: [String]]
    public init(text: String, scheme: String, host: String, escapedPath: String, query: [String: [String]]) {
        self.text = text
        self.scheme = scheme
        self.host = host
        self.escapedPath = escapedPath
        self.query = query
    }
}
