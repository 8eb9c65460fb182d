import KyvernAPI

extension CustomResourceRules {
    /// The CEL compile errors of a definition's schemas, for its validation. As upstream, a schema
    /// that already has other problems (`problems` under its field prefix) is not compiled.
    static func compileErrors(of crd: JSONValue, besides problems: [APIError.Cause]) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for section in CustomResourceDefinitionValidation.schemaSections(crd)
        where !problems.contains(where: { $0.field.hasPrefix(section.fieldPrefix) }) {
            if case .failure(let errors) = compile(openAPIV3Schema: section.openAPIV3Schema, fieldPrefix: section.fieldPrefix) {
                causes += errors.causes
            }
        }
        return causes
    }
}
