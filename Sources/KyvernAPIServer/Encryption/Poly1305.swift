/// The Poly1305 one-time authenticator (RFC 8439 §2.5), for ``XSalsa20Poly1305``.
///
/// swift-crypto does not expose Poly1305 on its own, and NaCl's secretbox (upstream's `secretbox`
/// provider) needs it over XSalsa20 rather than ChaCha20. 26-bit limbs keep every product in 64 bits.
enum Poly1305 {
    static let tagSize = 16

    /// The 16-byte tag of `message` under the one-time `key` (32 bytes: r then s).
    static func tag(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        precondition(key.count == 32, "Poly1305 takes a 32-byte key")
        let mask: UInt64 = 0x3ff_ffff
        let r0 = UInt64(le32(key, 0)) & 0x3ff_ffff
        let r1 = UInt64(le32(key, 3) >> 2) & 0x3ff_ff03
        let r2 = UInt64(le32(key, 6) >> 4) & 0x3ff_c0ff
        let r3 = UInt64(le32(key, 9) >> 6) & 0x3f0_3fff
        let r4 = UInt64(le32(key, 12) >> 8) & 0x00f_ffff
        let s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5
        var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0, h3: UInt64 = 0, h4: UInt64 = 0

        let bytes = Array(message)
        var offset = 0
        while offset < bytes.count {
            let count = min(16, bytes.count - offset)
            var block = [UInt8](repeating: 0, count: 17)
            block[0..<count] = bytes[offset..<(offset + count)]
            // A full block carries 2^128; a short one is padded with a 1 byte right after it.
            let hibit: UInt64
            if count == 16 {
                hibit = 1 << 24
            } else {
                block[count] = 1
                hibit = 0
            }
            h0 += UInt64(le32(block, 0)) & mask
            h1 += UInt64(le32(block, 3) >> 2) & mask
            h2 += UInt64(le32(block, 6) >> 4) & mask
            h3 += UInt64(le32(block, 9) >> 6) & mask
            h4 += UInt64(le32(block, 12) >> 8) | hibit

            let d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1
            var d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2
            var d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3
            var d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4
            var d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
            var c = d0 >> 26; h0 = d0 & mask
            d1 += c; c = d1 >> 26; h1 = d1 & mask
            d2 += c; c = d2 >> 26; h2 = d2 & mask
            d3 += c; c = d3 >> 26; h3 = d3 & mask
            d4 += c; c = d4 >> 26; h4 = d4 & mask
            h0 += c * 5; c = h0 >> 26; h0 &= mask
            h1 += c
            offset += count
        }

        // Full carry, then h mod 2^130 - 5 by computing h + 5 - 2^130 and keeping it if non-negative.
        var c = h1 >> 26; h1 &= mask
        h2 += c; c = h2 >> 26; h2 &= mask
        h3 += c; c = h3 >> 26; h3 &= mask
        h4 += c; c = h4 >> 26; h4 &= mask
        h0 += c * 5; c = h0 >> 26; h0 &= mask
        h1 += c

        var g0 = h0 + 5; c = g0 >> 26; g0 &= mask
        var g1 = h1 + c; c = g1 >> 26; g1 &= mask
        var g2 = h2 + c; c = g2 >> 26; g2 &= mask
        var g3 = h3 + c; c = g3 >> 26; g3 &= mask
        var g4 = (h4 + c) &- (1 << 26)
        // All ones when g4 did not borrow (g is the reduced value), zero otherwise.
        let select: UInt64 = (g4 >> 63) &- 1
        g0 &= select; g1 &= select; g2 &= select; g3 &= select; g4 &= select
        let keep = ~select
        h0 = (h0 & keep) | g0
        h1 = (h1 & keep) | g1
        h2 = (h2 & keep) | g2
        h3 = (h3 & keep) | g3
        h4 = (h4 & keep) | g4

        let w0 = (h0 | (h1 << 26)) & 0xffff_ffff
        let w1 = ((h1 >> 6) | (h2 << 20)) & 0xffff_ffff
        let w2 = ((h2 >> 12) | (h3 << 14)) & 0xffff_ffff
        let w3 = ((h3 >> 18) | (h4 << 8)) & 0xffff_ffff

        var f = w0 + UInt64(le32(key, 16))
        let t0 = f & 0xffff_ffff
        f = w1 + UInt64(le32(key, 20)) + (f >> 32)
        let t1 = f & 0xffff_ffff
        f = w2 + UInt64(le32(key, 24)) + (f >> 32)
        let t2 = f & 0xffff_ffff
        f = w3 + UInt64(le32(key, 28)) + (f >> 32)
        let t3 = f & 0xffff_ffff

        var out: [UInt8] = []
        out.reserveCapacity(16)
        for word in [t0, t1, t2, t3] {
            for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return out
    }

    /// Compares two tags without an early exit.
    static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
