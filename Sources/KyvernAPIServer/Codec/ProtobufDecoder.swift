import Foundation
public import KyvernAPI

/// Decodes `application/vnd.kubernetes.protobuf` request bodies into the JSON a Go client would
/// have sent for the same object.
///
/// A body is the 4 bytes `k8s\0` and a `runtime.Unknown` message: `typeMeta` (1: apiVersion, kind),
/// `raw` (2: the kind's message), `contentEncoding` (3), `contentType` (4). `raw` is decoded with the
/// field tables of ``ProtobufSchema``; the result carries `apiVersion` and `kind`.
///
/// Zero values follow Go's JSON encoding of the decoded struct: empty lists, maps and strings and a
/// zero `Time` are left out, as are the zeros of fields Go tags `omitempty` (see the generator);
/// other numbers and booleans are kept, and messages are kept even when empty (`emptyDir: {}`).
/// Unknown fields are skipped. Malformed input throws a 400, never traps.
public enum KubernetesProtobuf {
    /// `k8s\0`, the prefix of every Kubernetes protobuf body.
    public static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    /// The media type of such bodies.
    public static let mediaType = "application/vnd.kubernetes.protobuf"

    /// Nesting deeper than this is refused (real objects nest about 15 deep).
    public static let maxDepth = 100

    public static func decode(_ bytes: [UInt8], schema: ProtobufSchema) throws -> JSONValue {
        guard bytes.count >= magic.count, bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2],
              bytes[3] == magic[3]
        else {
            throw APIError.badRequest(
                "the body of the request was in an unknown format: provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")
        }
        var decoder = ProtobufReader(bytes: bytes, start: magic.count, end: bytes.count, schema: schema)
        let envelope: ProtobufReader.Envelope
        do throws(ProtobufReader.Failure) {
            envelope = try decoder.readEnvelope()
        } catch {
            throw APIError.badRequest("unable to decode protobuf: \(error.message)")
        }
        guard !envelope.kind.isEmpty else {
            throw APIError.badRequest("Object 'Kind' is missing in the protobuf body")
        }
        guard let message = schema.message(apiVersion: envelope.apiVersion, kind: envelope.kind) else {
            throw APIError.badRequest(
                "no kind \"\(envelope.kind)\" is registered for version \"\(envelope.apiVersion)\"")
        }
        var object: JSONValue
        do throws(ProtobufReader.Failure) {
            var reader = ProtobufReader(bytes: bytes, start: envelope.raw.lowerBound, end: envelope.raw.upperBound,
                                        schema: schema)
            object = try reader.readMessage(message, depth: 0) ?? .object([:])
        } catch {
            let version = envelope.apiVersion.split(separator: "/").last.map(String.init) ?? envelope.apiVersion
            throw APIError.badRequest(
                "\(envelope.kind) in version \"\(version)\" cannot be handled as a \(envelope.kind): unable to decode protobuf: \(error.message)")
        }
        guard case .object(var members) = object else {
            throw APIError.badRequest("unable to decode protobuf: \(envelope.kind) is not an object")
        }
        members["apiVersion"] = .string(envelope.apiVersion)
        members["kind"] = .string(envelope.kind)
        object = .object(members)
        return object
    }
}

/// The wire-format reader: a cursor over `bytes[position..<end]`, every read bounds-checked.
struct ProtobufReader {
    struct Failure: Error {
        var message: String
    }

    struct Envelope {
        var apiVersion = ""
        var kind = ""
        var raw: Range<Int> = 0..<0
    }

    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    let bytes: [UInt8]
    var position: Int
    var end: Int
    let schema: ProtobufSchema

    init(bytes: [UInt8], start: Int, end: Int, schema: ProtobufSchema) {
        self.bytes = bytes
        self.position = start
        self.end = end
        self.schema = schema
    }

    var atEnd: Bool { position >= end }

    // MARK: primitives

    mutating func readVarint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Failure(message: "unexpected EOF") }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw Failure(message: "proto: integer overflow") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw Failure(message: "proto: integer overflow") }
        }
    }

    mutating func readFixed32() throws(Failure) -> UInt32 {
        guard end - position >= 4 else { throw Failure(message: "unexpected EOF") }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return value
    }

    mutating func readFixed64() throws(Failure) -> UInt64 {
        guard end - position >= 8 else { throw Failure(message: "unexpected EOF") }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return value
    }

    /// The range of a length-delimited payload; the cursor moves past it.
    mutating func readLengthDelimited() throws(Failure) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(Int.max) else { throw Failure(message: "proto: negative length found during unmarshaling") }
        guard UInt64(end - position) >= length else { throw Failure(message: "unexpected EOF") }
        let start = position
        position += Int(length)
        return start..<position
    }

    mutating func readTag() throws(Failure) -> (number: UInt64, wire: WireType) {
        let tag = try readVarint()
        let number = tag >> 3
        guard let wire = WireType(rawValue: tag & 7) else {
            throw Failure(message: "proto: illegal wireType \(tag & 7)")
        }
        guard number > 0 else {
            throw Failure(message: "proto: illegal tag 0 (wire type \(tag & 7))")
        }
        if wire == .endGroup { throw Failure(message: "proto: wiretype end group for non-group") }
        return (number, wire)
    }

    /// Skips a field's value (an unknown field).
    mutating func skip(_ wire: WireType, number: UInt64, depth: Int) throws(Failure) {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup:
            guard depth < KubernetesProtobuf.maxDepth else { throw Failure(message: "exceeded max depth") }
            while true {
                let tag = try readVarint()
                guard let inner = WireType(rawValue: tag & 7) else {
                    throw Failure(message: "proto: illegal wireType \(tag & 7)")
                }
                if inner == .endGroup {
                    guard tag >> 3 == number else { throw Failure(message: "proto: mismatched end group") }
                    return
                }
                try skip(inner, number: tag >> 3, depth: depth + 1)
            }
        case .endGroup:
            throw Failure(message: "proto: unexpected end group")
        }
    }

    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    // MARK: envelope

    mutating func readEnvelope() throws(Failure) -> Envelope {
        var envelope = Envelope()
        while !atEnd {
            let (number, wire) = try readTag()
            switch (number, wire) {
            case (1, .lengthDelimited):
                let range = try readLengthDelimited()
                var inner = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, schema: schema)
                while !inner.atEnd {
                    let (n, w) = try inner.readTag()
                    switch (n, w) {
                    case (1, .lengthDelimited): envelope.apiVersion = inner.string(try inner.readLengthDelimited())
                    case (2, .lengthDelimited): envelope.kind = inner.string(try inner.readLengthDelimited())
                    case (1, _), (2, _): throw Failure(message: "proto: wrong wireType = \(w.rawValue) for field \(n == 1 ? "APIVersion" : "Kind")")
                    default: try inner.skip(w, number: n, depth: 0)
                    }
                }
            case (2, .lengthDelimited):
                envelope.raw = try readLengthDelimited()
            case (1, _), (2, _):
                throw Failure(message: "proto: wrong wireType = \(wire.rawValue) for field \(number == 1 ? "TypeMeta" : "Raw")")
            default:
                // contentEncoding and contentType: upstream decodes `raw` as it is, as do we.
                try skip(wire, number: number, depth: 0)
            }
        }
        return envelope
    }

    // MARK: messages

    /// Decodes the message `index` from the cursor to `end`; nil means "leave the field out"
    /// (a zero `Time`, an empty `RawExtension`).
    mutating func readMessage(_ index: Int, depth: Int) throws(Failure) -> JSONValue? {
        guard depth < KubernetesProtobuf.maxDepth else {
            throw Failure(message: "exceeded maximum nesting depth of \(KubernetesProtobuf.maxDepth)")
        }
        let message = schema.messages[index]
        if let special = message.special {
            return try readSpecial(special, message: message, depth: depth)
        }
        var object: [String: JSONValue] = [:]
        try readFields(of: message, into: &object, depth: depth)
        return .object(object)
    }

    /// Reads the fields of `message` into `object` (also used for embedded structs).
    mutating func readFields(of message: ProtobufSchema.Message, into object: inout [String: JSONValue],
                             depth: Int) throws(Failure) {
        var lists: [String: [JSONValue]] = [:]
        var maps: [String: [String: JSONValue]] = [:]
        while !atEnd {
            let (number, wire) = try readTag()
            guard let field = message.field(number) else {
                try skip(wire, number: number, depth: depth)
                continue
            }
            switch field.type {
            case .scalar(let scalar):
                if field.repeated {
                    if wire == .lengthDelimited && scalar.isPackable {
                        let range = try readLengthDelimited()
                        var packed = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, schema: schema)
                        while !packed.atEnd {
                            lists[field.name, default: []].append(try packed.readScalar(scalar, wire: scalar.wireType, field: field))
                        }
                    } else {
                        lists[field.name, default: []].append(try readScalar(scalar, wire: wire, field: field))
                    }
                } else {
                    let value = try readScalar(scalar, wire: wire, field: field)
                    if field.omitZero && value.isProtobufZero {
                        object.removeValue(forKey: field.name)
                    } else {
                        object[field.name] = value
                    }
                }
            case .message(let ref):
                guard wire == .lengthDelimited else { throw wrongWireType(wire, field) }
                let range = try readLengthDelimited()
                var inner = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, schema: schema)
                if field.inline {
                    let embedded = schema.messages[ref]
                    if embedded.special == nil {
                        try inner.readFields(of: embedded, into: &object, depth: depth + 1)
                        continue
                    }
                }
                let value = try inner.readMessage(ref, depth: depth + 1)
                if field.repeated {
                    lists[field.name, default: []].append(value ?? .null)
                } else if let value {
                    if let old = object[field.name] {
                        object[field.name] = Self.merge(old, value)
                    } else {
                        object[field.name] = value
                    }
                } else {
                    object.removeValue(forKey: field.name)
                }
            case .map(let keyType, let valueType):
                guard wire == .lengthDelimited else { throw wrongWireType(wire, field) }
                let range = try readLengthDelimited()
                var entry = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, schema: schema)
                let (key, value) = try entry.readMapEntry(key: keyType, value: valueType, field: field, depth: depth + 1)
                maps[field.name, default: [:]][key] = value
            }
        }
        for (name, list) in lists {
            if list.isEmpty { continue }
            if case .array(let old) = object[name] {
                object[name] = .array(old + list)
            } else {
                object[name] = .array(list)
            }
        }
        for (name, map) in maps where !map.isEmpty {
            if case .object(var old) = object[name] {
                old.merge(map) { _, new in new }
                object[name] = .object(old)
            } else {
                object[name] = .object(map)
            }
        }
    }

    /// A map entry: key = 1, value = 2; a missing part is its type's zero.
    mutating func readMapEntry(key keyType: ProtobufSchema.Scalar, value valueType: ProtobufSchema.MapValue,
                               field: ProtobufSchema.Field, depth: Int) throws(Failure) -> (String, JSONValue) {
        var key: JSONValue?
        var value: JSONValue?
        while !atEnd {
            let (number, wire) = try readTag()
            switch number {
            case 1:
                key = try readScalar(keyType, wire: wire, field: field)
            case 2:
                switch valueType {
                case .scalar(let scalar):
                    value = try readScalar(scalar, wire: wire, field: field)
                case .message(let ref):
                    guard wire == .lengthDelimited else { throw wrongWireType(wire, field) }
                    let range = try readLengthDelimited()
                    var inner = ProtobufReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, schema: schema)
                    value = try inner.readMessage(ref, depth: depth + 1) ?? .null
                }
            default:
                try skip(wire, number: number, depth: depth)
            }
        }
        let keyText: String
        switch key ?? keyType.zero {
        case .string(let s): keyText = s
        case .int(let i): keyText = String(i)
        case .bool(let b): keyText = b ? "true" : "false"
        case .double(let d): keyText = String(d)
        default: keyText = ""
        }
        if let value { return (keyText, value) }
        switch valueType {
        case .scalar(let scalar): return (keyText, scalar.zero)
        case .message(let ref):
            var empty = ProtobufReader(bytes: bytes, start: 0, end: 0, schema: schema)
            return (keyText, try empty.readMessage(ref, depth: depth + 1) ?? .null)
        }
    }

    mutating func readScalar(_ scalar: ProtobufSchema.Scalar, wire: WireType,
                             field: ProtobufSchema.Field) throws(Failure) -> JSONValue {
        guard wire == scalar.wireType else { throw wrongWireType(wire, field) }
        switch scalar {
        case .string:
            return .string(string(try readLengthDelimited()))
        case .bytes:
            return .string(Data(slice(try readLengthDelimited())).base64EncodedString())
        case .bool:
            return .bool(try readVarint() != 0)
        case .int32, .enum:
            return .int(Int64(Int32(truncatingIfNeeded: try readVarint())))
        case .int64:
            return .int(Int64(bitPattern: try readVarint()))
        case .uint32:
            return .int(Int64(UInt32(truncatingIfNeeded: try readVarint())))
        case .uint64:
            return Self.unsigned(try readVarint())
        case .sint32:
            let raw = UInt32(truncatingIfNeeded: try readVarint())
            return .int(Int64(Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))))
        case .sint64:
            let raw = try readVarint()
            return .int(Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
        case .fixed32:
            return .int(Int64(try readFixed32()))
        case .sfixed32:
            return .int(Int64(Int32(bitPattern: try readFixed32())))
        case .fixed64:
            return Self.unsigned(try readFixed64())
        case .sfixed64:
            return .int(Int64(bitPattern: try readFixed64()))
        case .double:
            return try Self.finite(Double(bitPattern: try readFixed64()))
        case .float:
            return try Self.finite(Double(Float(bitPattern: try readFixed32())))
        }
    }

    static func unsigned(_ value: UInt64) -> JSONValue {
        value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(Double(value))
    }

    static func finite(_ value: Double) throws(Failure) -> JSONValue {
        guard value.isFinite else { throw Failure(message: "json: unsupported value: \(value)") }
        return .double(value)
    }

    func wrongWireType(_ wire: WireType, _ field: ProtobufSchema.Field) -> Failure {
        Failure(message: "proto: wrong wireType = \(wire.rawValue) for field \(field.name)")
    }

    /// Protobuf's merge of a message field seen twice: members merge, lists append, scalars replace.
    static func merge(_ old: JSONValue, _ new: JSONValue) -> JSONValue {
        switch (old, new) {
        case (.object(var a), .object(let b)):
            for (key, value) in b {
                a[key] = a[key].map { merge($0, value) } ?? value
            }
            return .object(a)
        case (.array(let a), .array(let b)):
            return .array(a + b)
        default:
            return new
        }
    }
}

extension ProtobufSchema.Scalar {
    var wireType: ProtobufReader.WireType {
        switch self {
        case .string, .bytes: return .lengthDelimited
        case .fixed64, .sfixed64, .double: return .fixed64
        case .fixed32, .sfixed32, .float: return .fixed32
        default: return .varint
        }
    }

    var isPackable: Bool { wireType != .lengthDelimited }

    var zero: JSONValue {
        switch self {
        case .string, .bytes: return .string("")
        case .bool: return .bool(false)
        case .double, .float: return .double(0)
        default: return .int(0)
        }
    }
}

extension JSONValue {
    /// "", 0, 0.0 or false.
    var isProtobufZero: Bool {
        switch self {
        case .string(let s): return s.isEmpty
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .bool(let b): return !b
        default: return false
        }
    }
}
