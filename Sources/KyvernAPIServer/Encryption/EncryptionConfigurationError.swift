/// A problem in an EncryptionConfiguration file, naming the field as upstream's validation does
/// (`resources[0].providers[1].aescbc.keys[0].secret: Invalid value: ...`).
package struct EncryptionConfigurationError: Error, CustomStringConvertible, Hashable {
    package var field: String
    package var detail: String

    package init(field: String, _ detail: String) {
        self.field = field
        self.detail = detail
    }

    package var description: String { field.isEmpty ? detail : "\(field): \(detail)" }
}
