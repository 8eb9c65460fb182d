/// NaCl's `crypto_secretbox` (XSalsa20 stream cipher + Poly1305), which upstream's `secretbox`
/// provider uses; swift-crypto has neither primitive, so it is written out here (Salsa20 per
/// Bernstein's specification, XSalsa20's HSalsa20 key derivation, the NaCl layout: tag, then ciphertext).
enum XSalsa20Poly1305 {
    static let keySize = 32
    static let nonceSize = 24

    struct AuthenticationFailure: Error {}

    /// `tag (16 bytes) || ciphertext`, exactly NaCl's `secretbox` output without its zero padding.
    static func seal(_ message: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        var stream = keyStream(key: key, nonce: nonce, count: 32 + message.count)
        let polyKey = Array(stream[0..<32])
        for index in message.indices { stream[32 + index] ^= message[index] }
        let ciphertext = stream[32...]
        return Poly1305.tag(key: polyKey, message: ciphertext) + ciphertext
    }

    /// The message of a sealed box, or ``AuthenticationFailure`` when the tag does not verify.
    static func open(_ box: some Collection<UInt8>, key: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        let box = Array(box)
        guard box.count >= Poly1305.tagSize else { throw AuthenticationFailure() }
        let ciphertext = box[Poly1305.tagSize...]
        var stream = keyStream(key: key, nonce: nonce, count: 32 + ciphertext.count)
        let expected = Poly1305.tag(key: Array(stream[0..<32]), message: ciphertext)
        guard Poly1305.equal(expected, box[0..<Poly1305.tagSize]) else { throw AuthenticationFailure() }
        for (offset, byte) in ciphertext.enumerated() { stream[32 + offset] ^= byte }
        return Array(stream[32...])
    }

    /// `count` bytes of XSalsa20 key stream: Salsa20 under HSalsa20(key, nonce[0..<16]) with nonce[16..<24].
    static func keyStream(key: [UInt8], nonce: [UInt8], count: Int) -> [UInt8] {
        precondition(key.count == keySize && nonce.count == nonceSize, "XSalsa20 takes a 32-byte key and a 24-byte nonce")
        let subkey = hsalsa20(key: key, input: Array(nonce[0..<16]))
        let streamNonce = Array(nonce[16..<24])
        var out: [UInt8] = []
        out.reserveCapacity(count + 64)
        var counter: UInt64 = 0
        while out.count < count {
            out += salsa20Block(key: subkey, nonce: streamNonce, counter: counter)
            counter += 1
        }
        return Array(out[0..<count])
    }

    /// HSalsa20: the Salsa20 rounds over (key, 16-byte input) without the final addition, taking
    /// the words at the diagonal and the input positions.
    static func hsalsa20(key: [UInt8], input: [UInt8]) -> [UInt8] {
        var x = initialState(key: key, middle: (0..<4).map { word(input, $0 * 4) })
        rounds(&x)
        return [x[0], x[5], x[10], x[15], x[6], x[7], x[8], x[9]].flatMap(bytes)
    }

    /// One 64-byte Salsa20/20 block.
    static func salsa20Block(key: [UInt8], nonce: [UInt8], counter: UInt64) -> [UInt8] {
        let input = initialState(key: key, middle: [word(nonce, 0), word(nonce, 4),
                                                    UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32)])
        var x = input
        rounds(&x)
        return (0..<16).flatMap { bytes(x[$0] &+ input[$0]) }
    }

    /// "expand 32-byte k" on the diagonal, the key around it, four words of nonce/counter in the middle.
    private static func initialState(key: [UInt8], middle: [UInt32]) -> [UInt32] {
        [0x6170_7865, word(key, 0), word(key, 4), word(key, 8),
         word(key, 12), 0x3320_646e, middle[0], middle[1],
         middle[2], middle[3], 0x7962_2d32, word(key, 16),
         word(key, 20), word(key, 24), word(key, 28), 0x6b20_6574]
    }

    private static func rounds(_ x: inout [UInt32]) {
        for _ in 0..<10 {
            // Column round, then row round.
            quarter(&x, 0, 4, 8, 12); quarter(&x, 5, 9, 13, 1); quarter(&x, 10, 14, 2, 6); quarter(&x, 15, 3, 7, 11)
            quarter(&x, 0, 1, 2, 3); quarter(&x, 5, 6, 7, 4); quarter(&x, 10, 11, 8, 9); quarter(&x, 15, 12, 13, 14)
        }
    }

    private static func quarter(_ x: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[b] ^= rotl(x[a] &+ x[d], 7)
        x[c] ^= rotl(x[b] &+ x[a], 9)
        x[d] ^= rotl(x[c] &+ x[b], 13)
        x[a] ^= rotl(x[d] &+ x[c], 18)
    }

    private static func rotl(_ v: UInt32, _ n: UInt32) -> UInt32 { (v << n) | (v >> (32 - n)) }

    private static func word(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    private static func bytes(_ w: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: w), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 24)]
    }
}
