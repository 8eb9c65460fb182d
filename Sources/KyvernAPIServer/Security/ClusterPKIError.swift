/// An error raised while loading, creating or using the cluster's credentials.
///
/// The ``code`` wraps a private enum so that new failure kinds can be added without breaking
/// callers that switch over known ones.
public struct ClusterPKIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case fileSystem
            case invalidFile
            case incompleteAuthority
            case invalidIPAddress
            case invalidHostname
            case certificateIssuance
            case tlsConfiguration
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A file or directory could not be created, read, written or renamed.
        public static let fileSystem = Code(.fileSystem)
        /// A file exists but its contents cannot be parsed (not PEM, wrong key type, empty token).
        public static let invalidFile = Code(.invalidFile)
        /// `ca.crt` exists but `ca.key` does not, so nothing can be signed with the existing CA.
        public static let incompleteAuthority = Code(.incompleteAuthority)
        /// A requested IP subject alternative name is not an IPv4 or IPv6 address.
        public static let invalidIPAddress = Code(.invalidIPAddress)
        /// A requested DNS subject alternative name is empty or not ASCII.
        public static let invalidHostname = Code(.invalidHostname)
        /// Building or signing a certificate failed.
        public static let certificateIssuance = Code(.certificateIssuance)
        /// NIOSSL rejected a certificate or key while building a TLS configuration.
        public static let tlsConfiguration = Code(.tlsConfiguration)

        public var description: String {
            switch self.kind {
            case .fileSystem: "file system"
            case .invalidFile: "invalid file"
            case .incompleteAuthority: "incomplete certificate authority"
            case .invalidIPAddress: "invalid IP address"
            case .invalidHostname: "invalid hostname"
            case .certificateIssuance: "certificate issuance"
            case .tlsConfiguration: "TLS configuration"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation, naming the file or value involved.
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "ClusterPKIError(\(self.code)): \(self.message)"
    }
}
