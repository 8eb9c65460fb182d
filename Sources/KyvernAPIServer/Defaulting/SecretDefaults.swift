import Foundation
import KyvernAPI

/// Upstream's defaults for Secrets.
enum SecretDefaults {
    /// A Secret is `Opaque` unless typed, and its write-only `stringData` is folded into `data`
    /// (base64, winning over `data` for the same key) and never stored.
    static func secret(_ object: inout JSONValue) {
        object.defaultString("type", "Opaque")
        guard let stringData = object["stringData"] else { return }
        object["stringData"] = nil
        guard case .object(let entries) = stringData, !entries.isEmpty else { return }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in entries {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        object["data"] = .object(data)
    }
}
