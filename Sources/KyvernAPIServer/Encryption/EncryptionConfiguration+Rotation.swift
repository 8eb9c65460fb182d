import Crypto
package import Foundation

extension EncryptionConfiguration {
    /// This configuration with a fresh key put first for the entry at `entryIndex`, every older key
    /// kept after it for reading: a key of the same type as the entry's writing provider, or an
    /// `aescbc` key when that provider is identity (rotating then turns encryption on).
    /// - Returns: the new configuration, and the provider type and name of the new key.
    package func rotated(entryIndex: Int, now: Date = Date(),
                         secret: [UInt8] = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        -> (configuration: EncryptionConfiguration, provider: String, keyName: String) {
        var configuration = self
        var providers = resources[entryIndex].providers
        let type = providers.first.map { $0.type == "identity" ? "aescbc" : $0.type } ?? "aescbc"
        let taken = Set(providers.flatMap { $0.keys.map(\.name) })
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = "\(type)key-\(formatter.string(from: now))"
        var name = base
        var suffix = 2
        while taken.contains(name) {
            name = "\(base)-\(suffix)"
            suffix += 1
        }
        let key = Key(name: name, secret: secret)
        switch providers.first {
        case .aescbc(let keys): providers[0] = .aescbc([key] + keys)
        case .aesgcm(let keys): providers[0] = .aesgcm([key] + keys)
        case .secretbox(let keys): providers[0] = .secretbox([key] + keys)
        case .identity, nil: providers.insert(.aescbc([key]), at: 0)
        }
        configuration.resources[entryIndex].providers = providers
        return (configuration, type, name)
    }
}
