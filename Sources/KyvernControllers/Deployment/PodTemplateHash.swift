public import KyvernAPI

/// The `pod-template-hash` of a Deployment's pod template: the suffix of its ReplicaSet's name.
///
/// Upstream hashes the template with FNV-32a, mixes in `status.collisionCount` (so a bumped count
/// yields a fresh name after a collision) and writes the decimal digest through an alphabet without
/// vowels, giving names like `web-7d9c5b8f6`. Here the hashed bytes are the template's canonical
/// JSON (fixed key order), so the value is stable across restarts and equal templates hash equally.
public enum PodTemplateHash {
    /// The alphabet of upstream's `SafeEncodeString`: no vowels, no look-alike characters.
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    public static func compute(template: JSONValue, collisionCount: Int?) -> String {
        var hasher = FNV32a()
        hasher.write(TemplateEquality.canonical(template).serialized())
        if let collisionCount {
            // Little-endian 32-bit count padded to 8 bytes, as upstream feeds it.
            let value = UInt32(truncatingIfNeeded: collisionCount)
            hasher.write([UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff),
                          UInt8(value >> 24 & 0xff), 0, 0, 0, 0])
        }
        return safeEncode(String(hasher.value))
    }

    /// Maps each byte of `text` onto `alphabet`, as upstream's `rand.SafeEncodeString`.
    static func safeEncode(_ text: String) -> String {
        String(decoding: text.utf8.map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
    }
}

/// 32-bit FNV-1a.
struct FNV32a {
    private(set) var value: UInt32 = 2_166_136_261

    mutating func write(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
    }
}
