/// One SPDY/3 frame as kubectl's port-forward speaks it (the `spdystream` library): the control
/// frames it sends or answers, and data frames. Header blocks are kept as ordered name/value
/// pairs; a value holding several values joins them with NUL, as on the wire.
enum SPDYFrame: Sendable, Hashable {
    case data(streamID: UInt32, fin: Bool, payload: [UInt8])
    case synStream(streamID: UInt32, associatedTo: UInt32, priority: UInt8, flags: UInt8, headers: [SPDYHeader])
    case synReply(streamID: UInt32, flags: UInt8, headers: [SPDYHeader])
    case rstStream(streamID: UInt32, status: UInt32)
    case settings(flags: UInt8, entries: [SPDYSetting])
    case ping(id: UInt32)
    case goAway(lastStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, flags: UInt8, headers: [SPDYHeader])
    case windowUpdate(streamID: UInt32, delta: UInt32)

    static let version: UInt16 = 3
    /// FLAG_FIN on data frames and SYN_STREAM/SYN_REPLY/HEADERS: the sender's half is closed.
    static let flagFin: UInt8 = 0x01
    static let flagUnidirectional: UInt8 = 0x02

    /// Control frame type codes.
    enum Kind: UInt16 {
        case synStream = 1, synReply = 2, rstStream = 3, settings = 4, ping = 6, goAway = 7, headers = 8, windowUpdate = 9
    }

    /// RST_STREAM status codes used here.
    enum ResetStatus {
        static let protocolError: UInt32 = 1
        static let invalidStream: UInt32 = 2
        static let refusedStream: UInt32 = 3
        static let cancel: UInt32 = 5
        static let internalError: UInt32 = 6
    }

    /// GOAWAY status codes.
    enum GoAwayStatus {
        static let ok: UInt32 = 0
        static let protocolError: UInt32 = 1
        static let internalError: UInt32 = 2
    }
}

/// One header of a SYN_STREAM, SYN_REPLY or HEADERS block (names are lower case in SPDY/3).
struct SPDYHeader: Sendable, Hashable {
    var name: String
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One SETTINGS entry: flags (8 bits), id (24 bits), value.
struct SPDYSetting: Sendable, Hashable {
    var flags: UInt8
    var id: UInt32
    var value: UInt32
}

extension [SPDYHeader] {
    /// The first value of a header, by case-insensitive name.
    subscript(spdy name: String) -> String? {
        let lower = name.lowercased()
        return first { $0.name == lower }?.value.split(separator: "\0", omittingEmptySubsequences: false).first.map(String.init)
    }
}
