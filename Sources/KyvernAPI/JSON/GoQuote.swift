/// Go's `strconv.Quote` (`%q`): how upstream shows a string inside error messages.
///
/// Validation causes (`Invalid value: "Bad_Name": ...`) and parse errors quote values this way,
/// and clients compare those messages, so the escaping follows Go rune for rune.
package func goQuote(_ s: String) -> String {
    var plain = true
    for b in s.utf8 where b < 0x20 || b >= 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
        plain = false
        break
    }
    if plain { return "\"" + s + "\"" }

    var out = "\""
    out.reserveCapacity(s.utf8.count + 8)
    for scalar in s.unicodeScalars {
        switch scalar.value {
        case 0x07: out += "\\a"
        case 0x08: out += "\\b"
        case 0x0C: out += "\\f"
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0x09: out += "\\t"
        case 0x0B: out += "\\v"
        case 0x22: out += "\\\""
        case 0x5C: out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(scalar)
        case 0..<0x20, 0x7F: out += "\\x" + hex(scalar.value, width: 2)
        default:
            if isGoPrintable(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x10000 {
                out += "\\u" + hex(scalar.value, width: 4)
            } else {
                out += "\\U" + hex(scalar.value, width: 8)
            }
        }
    }
    out += "\""
    return out
}

/// Go's `unicode.IsPrint` for non-ASCII: letters, marks, numbers, punctuation and symbols.
private func isGoPrintable(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
         .nonspacingMark, .spacingMark, .enclosingMark,
         .decimalNumber, .letterNumber, .otherNumber,
         .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
         .initialPunctuation, .finalPunctuation, .otherPunctuation,
         .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
        return true
    default:
        return false
    }
}

private func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
