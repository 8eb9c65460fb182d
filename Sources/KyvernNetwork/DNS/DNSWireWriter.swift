/// Appends big-endian fields and names to one message, compressing names against earlier ones.
struct DNSWireWriter {
    private(set) var bytes: [UInt8] = []
    /// Where each name suffix already written starts (only offsets a pointer can reach).
    private var suffixes: [DNSName: Int] = [:]

    init() {
        bytes.reserveCapacity(512)
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func write(_ value: UInt32) {
        write(UInt16(value >> 16))
        write(UInt16(value & 0xFFFF))
    }

    mutating func write(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    mutating func set(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }

    /// Writes `name`, ending in a pointer to the longest suffix written before when `compress`
    /// (RFC 3597 §4: only in owner names and the rdata of types RFC 1035 defined).
    mutating func write(_ name: DNSName, compress: Bool = true) {
        for index in name.labels.indices {
            let suffix = DNSName(labels: Array(name.labels[index...]))
            if compress, let target = suffixes[suffix] {
                write(0xC000 | UInt16(target))
                return
            }
            if bytes.count <= 0x3FFF, suffixes[suffix] == nil { suffixes[suffix] = bytes.count }
            write(UInt8(name.labels[index].count))
            write(name.labels[index])
        }
        write(UInt8(0))
    }

    /// Drops everything from `length` on, and the compression targets inside it.
    mutating func truncate(to length: Int) {
        bytes.removeSubrange(length...)
        suffixes = suffixes.filter { $0.value < length }
    }
}
