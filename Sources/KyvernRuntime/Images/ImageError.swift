/// Why an image operation failed. Pull failures read like containerd's, because the agent puts them in
/// the pod's `ErrImagePull` message as upstream does (`failed to pull and unpack image "…": … not found`).
public struct ImageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The reference cannot be parsed (the kubelet's `InvalidImageName`).
        case invalidReference
        /// The registry has no such repository, tag or digest.
        case notFound
        /// The registry refused our credentials, or wanted some.
        case unauthorized
        /// A blob's bytes do not match its digest or size, or a layer does not unpack.
        case corrupt
        /// The registry could not be reached or answered something unexpected.
        case unavailable
        /// A file given to `import` is not an OCI layout or a `docker save` archive.
        case invalidArchive
        /// The image is not in the local store.
        case notPresent
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func invalidReference(_ text: String, reason: String = "invalid reference format") -> ImageError {
        ImageError(.invalidReference, "couldn't parse image name \"\(text)\": \(reason)")
    }

    static func notPresent(_ reference: String) -> ImageError {
        ImageError(.notPresent, "image \"\(reference)\" not found")
    }

    static func digestMismatch(expected: String, actual: String) -> ImageError {
        ImageError(.corrupt, "unexpected commit digest \(actual), expected \(expected): failed precondition")
    }

    static func sizeMismatch(digest: String, expected: Int64, actual: Int64) -> ImageError {
        ImageError(.corrupt, "\"\(digest)\" failed size validation: \(actual) != \(expected): failed precondition")
    }

    /// The whole pull failed: containerd's outer wording around the cause.
    func wrappedAsPull(of reference: String) -> ImageError {
        ImageError(kind, "failed to pull and unpack image \"\(reference)\": \(message)")
    }
}
