import KyvernAPI

/// The types whose JSON is not an object of their protobuf fields: they marshal themselves in Go.
extension ProtobufReader {
    /// Go's zero `time.Time` in Unix seconds (0001-01-01T00:00:00Z).
    static let zeroTimeSeconds: Int64 = -62_135_596_800
    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years Go's `Time.MarshalJSON` accepts.
    static let timeSecondsRange: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

    mutating func readSpecial(_ special: ProtobufSchema.Special, message: ProtobufSchema.Message,
                              depth: Int) throws(Failure) -> JSONValue? {
        switch special {
        case .time, .microTime:
            // An empty message is a zero time, which Go writes as null: the field is left out.
            if atEnd { return nil }
            var seconds: Int64 = 0
            var nanos: Int32 = 0
            while !atEnd {
                let (number, wire) = try readTag()
                switch (number, wire) {
                case (1, .varint): seconds = Int64(bitPattern: try readVarint())
                case (2, .varint): nanos = Int32(truncatingIfNeeded: try readVarint())
                case (1, _), (2, _): throw Failure(message: "proto: wrong wireType = \(wire.rawValue) for field \(number == 1 ? "Seconds" : "Nanos")")
                default: try skip(wire, number: number, depth: depth)
                }
            }
            if special == .time {
                // metav1.Time keeps whole seconds only (upstream drops the nanoseconds on decode).
                if seconds == Self.zeroTimeSeconds { return nil }
                guard Self.timeSecondsRange.contains(seconds) else {
                    throw Failure(message: "Time.MarshalJSON: year outside of range [0,9999]")
                }
                return .string(Timestamp.format(secondsSince1970: seconds))
            }
            // metav1.MicroTime truncates to microseconds; time.Unix normalizes nanos outside [0, 1e9).
            let micros = Int64(nanos) / 1000
            if seconds == Self.zeroTimeSeconds && micros == 0 { return nil }
            guard Self.timeSecondsRange.contains(seconds) else {
                throw Failure(message: "Time.MarshalJSON: year outside of range [0,9999]")
            }
            let total = seconds * 1_000_000 + micros
            guard total >= Self.timeSecondsRange.lowerBound * 1_000_000,
                  total <= Self.timeSecondsRange.upperBound * 1_000_000 + 999_999
            else {
                throw Failure(message: "Time.MarshalJSON: year outside of range [0,9999]")
            }
            return .string(Timestamp.formatMicro(microsecondsSince1970: total))

        case .duration:
            var nanoseconds: Int64 = 0
            while !atEnd {
                let (number, wire) = try readTag()
                switch (number, wire) {
                case (1, .varint): nanoseconds = Int64(bitPattern: try readVarint())
                case (1, _): throw Failure(message: "proto: wrong wireType = \(wire.rawValue) for field Duration")
                default: try skip(wire, number: number, depth: depth)
                }
            }
            return .string(GoDuration.format(nanoseconds))

        case .intOrString:
            var type: Int64 = 0
            var intValue: Int32 = 0
            var stringValue = ""
            while !atEnd {
                let (number, wire) = try readTag()
                switch (number, wire) {
                case (1, .varint): type = Int64(bitPattern: try readVarint())
                case (2, .varint): intValue = Int32(truncatingIfNeeded: try readVarint())
                case (3, .lengthDelimited): stringValue = string(try readLengthDelimited())
                case (1, _), (2, _), (3, _):
                    throw Failure(message: "proto: wrong wireType = \(wire.rawValue) for field \(["", "Type", "IntVal", "StrVal"][Int(number)])")
                default: try skip(wire, number: number, depth: depth)
                }
            }
            switch type {
            case 0: return .int(Int64(intValue))
            case 1: return .string(stringValue)
            default: throw Failure(message: "impossible IntOrString.Type")
            }

        case .quantity:
            var text: String?
            while !atEnd {
                let (number, wire) = try readTag()
                switch (number, wire) {
                case (1, .lengthDelimited): text = string(try readLengthDelimited())
                case (1, _): throw Failure(message: "proto: wrong wireType = \(wire.rawValue) for field String_")
                default: try skip(wire, number: number, depth: depth)
                }
            }
            guard let text else { return .string("0") }
            guard !text.isEmpty else {
                throw Failure(message: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
            }
            return .string(text)

        case .rawExtension, .fieldsV1:
            var raw: Range<Int>?
            while !atEnd {
                let (number, wire) = try readTag()
                switch (number, wire) {
                case (1, .lengthDelimited): raw = try readLengthDelimited()
                case (1, _): throw Failure(message: "proto: wrong wireType = \(wire.rawValue) for field Raw")
                default: try skip(wire, number: number, depth: depth)
                }
            }
            // A nil Raw marshals as null in Go: the field is left out.
            guard let raw, !raw.isEmpty else { return nil }
            do {
                return try JSONValue.parse(slice(raw))
            } catch {
                let what = special == .fieldsV1 ? "FieldsV1" : "RawExtension"
                throw Failure(message: "\(what) is not JSON: \(error)")
            }

        case .array:
            // A Go named slice (`type Verbs []string`) wrapped in a message of one repeated field.
            var object: [String: JSONValue] = [:]
            try readFields(of: message, into: &object, depth: depth)
            return object.values.first ?? .array([])
        }
    }
}

/// Go's `time.Duration.String()`: "1h2m3.5s", "1m0s", "500ms", "1.5µs", "0s".
enum GoDuration {
    static func format(_ nanoseconds: Int64) -> String {
        let negative = nanoseconds < 0
        var u = nanoseconds.magnitude
        var out = ""
        if u < 1_000_000_000 {
            if u == 0 { return "0s" }
            let unit: String
            let precision: Int
            switch u {
            case ..<1_000: unit = "ns"; precision = 0
            case ..<1_000_000: unit = "µs"; precision = 3
            default: unit = "ms"; precision = 6
            }
            let (whole, fraction) = split(u, precision: precision)
            out = "\(whole)\(fraction)\(unit)"
        } else {
            let (seconds, fraction) = split(u, precision: 9)
            u = seconds
            out = "\(u % 60)\(fraction)s"
            u /= 60
            if u > 0 {
                out = "\(u % 60)m" + out
                u /= 60
                if u > 0 { out = "\(u)h" + out }
            }
        }
        return negative ? "-" + out : out
    }

    /// `value / 10^precision` and its fraction as ".ddd" without trailing zeros ("" when zero).
    private static func split(_ value: UInt64, precision: Int) -> (UInt64, String) {
        var scale: UInt64 = 1
        for _ in 0..<precision { scale *= 10 }
        let whole = value / scale
        var fraction = value % scale
        guard fraction != 0 else { return (whole, "") }
        var digits = precision
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return (whole, "." + String(repeating: "0", count: digits - text.count) + text)
    }
}
