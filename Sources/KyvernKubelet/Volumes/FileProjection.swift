/// One file of a configMap, secret, downwardAPI or projected volume: its bytes and mode.
struct FileProjection: Sendable, Hashable {
    var data: [UInt8]
    var mode: UInt32

    init(data: [UInt8], mode: UInt32) {
        self.data = data
        self.mode = mode
    }

    init(text: String, mode: UInt32) {
        self.init(data: Array(text.utf8), mode: mode)
    }

    /// `defaultMode`/`mode` as the API carries it (decimal, e.g. 420 for 0644); 0644 when unset.
    static func mode(_ value: Int64?, default fallback: UInt32 = 0o644) -> UInt32 {
        guard let value, value >= 0, value <= 0o777 else { return fallback }
        return UInt32(value)
    }
}

/// A volume's files keyed by their path relative to the volume.
typealias Payload = [String: FileProjection]
