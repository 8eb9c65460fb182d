/// A problem in an audit policy file, naming the field as upstream's validation does
/// (`rules[0].level: Unsupported value: "Verbose": ...`); the server refuses to start with it.
package struct AuditPolicyError: Error, CustomStringConvertible, Hashable {
    package var field: String
    package var detail: String

    package init(field: String, _ detail: String) {
        self.field = field
        self.detail = detail
    }

    package var description: String { field.isEmpty ? detail : "\(field): \(detail)" }
}
