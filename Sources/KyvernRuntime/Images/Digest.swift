import Crypto
import Foundation

/// sha256 content digests (`sha256:<hex>`), computed while bytes stream past so a blob is never read twice.
struct DigestHasher {
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    mutating func update(_ bytes: some DataProtocol) {
        for region in bytes.regions { hasher.update(data: region) }
        count += Int64(bytes.count)
    }

    mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bufferPointer)
        count += Int64(bufferPointer.count)
    }

    func finalize() -> String {
        "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func digest(of bytes: some DataProtocol) -> String {
        var h = DigestHasher()
        h.update(bytes)
        return h.finalize()
    }

    /// Digest and size of a file, read in 1 MiB chunks.
    static func digest(ofFile path: String) throws -> (digest: String, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImageError(.invalidArchive, "cannot open \(path)")
        }
        defer { try? handle.close() }
        var h = DigestHasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            h.update(chunk)
        }
        return (h.finalize(), h.count)
    }

    /// The hex part of `sha256:<hex>`, after checking the digest is well formed (it becomes a file name).
    static func hex(of digest: String) throws -> String {
        guard ImageReference.isValidDigest(digest) else {
            throw ImageError(.corrupt, "unsupported or malformed digest \"\(digest)\"")
        }
        return String(digest.dropFirst(7))
    }
}
