/// Upstream's `$(VAR)` expansion for container env values, command, args and `subPathExpr`.
///
/// `$(NAME)` becomes the value `lookup` gives, or stays verbatim when `lookup` has none; `$$`
/// becomes a literal `$`; an unterminated `$(` and a `$` before any other character stay as they
/// are. Works on UTF-8 bytes, as upstream does, so every character of the input survives.
enum VariableExpansion {
    static func expand(_ input: String, lookup: (String) -> String?) -> String {
        let bytes = Array(input.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var checkpoint = 0
        var cursor = 0
        while cursor < bytes.count {
            if bytes[cursor] == UInt8(ascii: "$"), cursor + 1 < bytes.count {
                output.append(contentsOf: bytes[checkpoint..<cursor])
                let (read, isVariable, advance) = readVariable(bytes, from: cursor + 1)
                if isVariable {
                    let name = String(decoding: read, as: UTF8.self)
                    if let value = lookup(name) {
                        output.append(contentsOf: value.utf8)
                    } else {
                        output.append(contentsOf: "$(\(name))".utf8)
                    }
                } else {
                    output.append(contentsOf: read)
                }
                cursor += advance
                checkpoint = cursor + 1
            }
            cursor += 1
        }
        output.append(contentsOf: bytes[min(checkpoint, bytes.count)...])
        return String(decoding: output, as: UTF8.self)
    }

    /// What follows a `$` at `start`: the bytes to emit (or the variable's name), whether it is a
    /// variable reference, and how many bytes it consumed after the `$`.
    private static func readVariable(_ bytes: [UInt8], from start: Int) -> ([UInt8], Bool, Int) {
        switch bytes[start] {
        case UInt8(ascii: "$"):
            return ([UInt8(ascii: "$")], false, 1)
        case UInt8(ascii: "("):
            var index = start + 1
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: ")") {
                    return (Array(bytes[(start + 1)..<index]), true, index - start + 1)
                }
                index += 1
            }
            return (Array("$(".utf8), false, 1)
        default:
            return ([UInt8(ascii: "$"), bytes[start]], false, 1)
        }
    }
}
