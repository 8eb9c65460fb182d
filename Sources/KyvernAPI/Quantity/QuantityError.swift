/// Why a quantity did not parse, worded as upstream's `resource` package errors.
public enum QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is not number-then-suffix.
    case formatWrong
    /// The number part cannot be read.
    case numeric
    /// The suffix is none of the known ones.
    case suffix

    /// Upstream's pattern, quoted in its error message.
    public static let pattern = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"

    public var description: String {
        switch self {
        case .formatWrong: return "quantities must match the regular expression '\(Self.pattern)'"
        case .numeric: return "unable to parse numeric part of quantity"
        case .suffix: return "unable to parse quantity's suffix"
        }
    }
}
