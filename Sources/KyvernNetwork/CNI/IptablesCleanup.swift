import Foundation
import Subprocess

/// Removes the iptables rules and chains the CNI plugins made for one container and left
/// behind (the spec's DEL is best effort: portmap's per-container chains can survive it).
///
/// Every rule the bridge and portmap plugins make for a container carries a comment with the
/// container ID; a chain named only by such rules is the container's own.
enum IptablesCleanup {
    static func removeRules(containerID: String) async throws {
        for table in ["nat", "filter"] {
            let rules = try await iptables(["-t", table, "-S"])
            var chains = Set<String>()
            for line in rules.split(separator: "\n") where line.hasPrefix("-A ") && line.contains(containerID) {
                let words = split(String(line))
                if let jump = words.firstIndex(of: "-j"), jump + 1 < words.count, words[jump + 1].hasPrefix("CNI-") {
                    chains.insert(words[jump + 1])
                }
                _ = try? await iptables(["-t", table, "-D"] + Array(words.dropFirst()))
            }
            let after = try await iptables(["-t", table, "-S"])
            for chain in chains.sorted() where !after.contains("-j \(chain)") && after.contains("-N \(chain)") {
                _ = try? await iptables(["-t", table, "-F", chain])
                _ = try? await iptables(["-t", table, "-X", chain])
            }
        }
    }

    /// Names of the rules still mentioning `containerID`, for tests and diagnostics.
    static func rulesMentioning(_ containerID: String) async throws -> [String] {
        var found: [String] = []
        for table in ["nat", "filter"] {
            found += try await iptables(["-t", table, "-S"]).split(separator: "\n")
                .filter { $0.contains(containerID) }.map { "\(table): \($0)" }
        }
        return found
    }

    /// `iptables -w` (waits for the xtables lock the plugins also take).
    @discardableResult
    static func iptables(_ arguments: [String]) async throws -> String {
        let result = try await Subprocess.run(.name("iptables"), arguments: Arguments(["-w"] + arguments),
                                              environment: .inherit.updating(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]),
                                              output: .string(limit: 1 << 22), error: .string(limit: 1 << 16))
        guard result.terminationStatus.isSuccess else {
            throw CNIError(plugin: "iptables", command: arguments.joined(separator: " "), message: result.standardError)
        }
        return result.standardOutput
    }

    /// `iptables -S` words, keeping quoted comments whole (without their quotes, `\\"` unescaped).
    static func split(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
