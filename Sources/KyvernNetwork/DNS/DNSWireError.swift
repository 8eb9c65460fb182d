/// Why bytes could not be read as a DNS message; answered with FORMERR when the header was readable.
package struct DNSWireError: Error, Sendable, Hashable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
