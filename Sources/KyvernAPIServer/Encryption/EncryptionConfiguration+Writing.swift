import Foundation

extension EncryptionConfiguration {
    /// The configuration as a file `--encryption-provider-config` reads: JSON when the file it
    /// replaces was JSON, YAML otherwise. (Comments of a hand-written file are not kept.)
    package func rendered(asJSON: Bool) -> String {
        if asJSON {
            let object: [String: Any] = [
                "apiVersion": Self.apiVersion,
                "kind": Self.kind,
                "resources": resources.map { entry -> [String: Any] in
                    ["resources": entry.resources, "providers": entry.providers.map(Self.jsonObject)]
                },
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self) + "\n"
        }
        var lines = ["apiVersion: \(Self.apiVersion)", "kind: \(Self.kind)", "resources:"]
        for entry in resources {
            lines.append("  - resources:")
            lines += entry.resources.map { "      - \(Self.quoted($0))" }
            lines.append("    providers:")
            for provider in entry.providers {
                if case .identity = provider {
                    lines.append("      - identity: {}")
                    continue
                }
                lines.append("      - \(provider.type):")
                lines.append("          keys:")
                for key in provider.keys {
                    lines.append("            - name: \(Self.quoted(key.name))")
                    lines.append("              secret: \(Self.quoted(Data(key.secret).base64EncodedString()))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func jsonObject(_ provider: Provider) -> [String: Any] {
        if case .identity = provider { return ["identity": [String: Any]()] }
        return [provider.type: ["keys": provider.keys.map { ["name": $0.name, "secret": Data($0.secret).base64EncodedString()] }]]
    }

    /// Names go out double-quoted so that `*.*` and the like stay strings.
    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
