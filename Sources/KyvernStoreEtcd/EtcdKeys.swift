import Foundation
import KyvernStore

/// Conversions between the store's string keys and etcd's byte keys.
enum EtcdKeys {
    static func bytes(_ key: String) -> Data { Data(key.utf8) }

    /// The exclusive end of the range holding every key that starts with `prefix`: the prefix with
    /// its last byte below 0xff incremented (etcd's "prefix end"); `\0` — "to the end of the
    /// keyspace" — when there is no such byte.
    static func rangeEnd(ofPrefix prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }

    /// Where a range over `prefix` begins: the prefix itself, or `\0` (the first key) for "".
    static func rangeStart(ofPrefix prefix: String) -> Data {
        prefix.isEmpty ? Data([0]) : bytes(prefix)
    }

    static func keyValue(_ kv: Mvccpb_KeyValue) -> KeyValue {
        KeyValue(key: String(decoding: kv.key, as: UTF8.self), value: [UInt8](kv.value),
                 createRevision: kv.createRevision, modRevision: kv.modRevision)
    }
}
