/// The parsed form of a CEL expression.
///
/// Every node carries its offset in the source so the checker can point at it the way cel-go does
/// (`<input>:line:col`). Macros are expanded by the parser into `comprehension` nodes, as upstream does,
/// so the checker and the evaluator see one loop form.
package indirect enum CELExprKind: Sendable {
    case literal(CELValue)
    case ident(String)
    /// `operand.field`; `testOnly` is the expansion of `has(operand.field)`; `optional` is `operand.?field`.
    case select(operand: CELExpr, field: String, testOnly: Bool, optional: Bool)
    /// A global call `f(args)` or a member call `target.f(args)`.
    case call(function: String, target: CELExpr?, args: [CELExpr])
    case list(elements: [CELExpr], optionalIndices: Set<Int>)
    case map(entries: [CELMapEntry])
    /// `Name{field: value}` message construction (parsed, but no message types exist here).
    case message(name: String, fields: [(String, CELExpr)])
    case comprehension(CELComprehension)
}

package struct CELMapEntry: Sendable {
    package var key: CELExpr
    package var value: CELExpr
    package var optional: Bool
}

/// The one loop form macros expand to (cel-spec's Comprehension).
package struct CELComprehension: Sendable {
    package var iterVar: String
    package var iterRange: CELExpr
    package var accuVar: String
    package var accuInit: CELExpr
    package var loopCondition: CELExpr
    package var loopStep: CELExpr
    package var result: CELExpr
    /// Which macro produced it, for messages and cost estimation.
    package var macro: String
    /// The second variable of a two-variable comprehension (`l.all(i, v, ...)`: index or key, then value).
    package var iterVar2: String? = nil
}

package struct CELExpr: Sendable {
    package var id: Int
    /// Offset (in unicode scalars) into the source, for error locations.
    package var offset: Int
    package var kind: CELExprKind

    package init(id: Int, offset: Int, kind: CELExprKind) {
        self.id = id
        self.offset = offset
        self.kind = kind
    }
}

/// The accumulator's name in macro expansions; not a legal identifier so user code cannot reach it.
package let celAccumulator = "@result"
