import KyvernAPI
import KyvernCEL

/// The compiled `x-kubernetes-validations` of one CRD version's schema.
///
/// Compiled once when the CRD is accepted (so a bad rule rejects the CRD, with upstream's messages and
/// cost limits) and evaluated for every write of a custom resource. A value: safe to share across requests.
struct CustomResourceRules: Sendable {
    let root: RuleNode?

    var isEmpty: Bool { root == nil }

    /// Compiles every rule in the schema. Errors are CRD validation causes whose field starts with
    /// `fieldPrefix` (e.g. "spec.validation.openAPIV3Schema" or "spec.versions[0].schema.openAPIV3Schema"),
    /// with upstream's messages ("compilation failed: ...", cost errors).
    static func compile(openAPIV3Schema: JSONValue, fieldPrefix: String) -> Result<CustomResourceRules, RuleCompileErrors> {
        var compiler = RuleCompiler()
        let root = compiler.node(openAPIV3Schema, field: fieldPrefix, typeName: "object", isRoot: true, cardinality: 1)
        if compiler.totalCost > CustomResourceRuleMessages.estimatedTotalLimit {
            compiler.causes.append(CustomResourceRuleMessages.forbidden(fieldPrefix, CustomResourceRuleMessages.costError(
                "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema",
                compiler.totalCost, CustomResourceRuleMessages.estimatedTotalLimit)))
        }
        if !compiler.causes.isEmpty { return .failure(RuleCompileErrors(causes: compiler.causes)) }
        return .success(CustomResourceRules(root: root))
    }

    /// Evaluates every rule against the object (old for transition rules with `oldSelf`, on update).
    /// Causes carry upstream's field paths, `message`/`messageExpression`, `reason` and `fieldPath`.
    func validate(_ object: JSONValue, old: JSONValue?) -> [APIError.Cause] {
        guard let root else { return [] }
        var run = RuleRun()
        run.walk(root, object, old, path: nil)
        return run.causes
    }
}

/// One compiled rule and what its failure reports.
struct CompiledRule: Sendable {
    var source: String
    var program: CELProgram
    var messageProgram: CELProgram?
    var message: String
    var reason: String?
    var fieldPath: String?
    var usesOldSelf: Bool
    var optionalOldSelf: Bool
}

/// A schema node that has rules itself or below it; the rest of the schema is dropped.
final class RuleNode: Sendable {
    let schema: JSONValue
    let schemaType: String
    let rules: [CompiledRule]
    let properties: [String: RuleNode]
    let items: RuleNode?
    let additionalProperties: RuleNode?

    init(schema: JSONValue, rules: [CompiledRule], properties: [String: RuleNode], items: RuleNode?, additionalProperties: RuleNode?) {
        self.schema = schema
        self.schemaType = schema["type"]?.stringValue ?? ""
        self.rules = rules
        self.properties = properties
        self.items = items
        self.additionalProperties = additionalProperties
    }
}
