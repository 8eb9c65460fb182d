public import Foundation
public import KyvernRuntime

/// The tables `kyvern crictl` prints, in crictl's columns and short-id habit: pure, unit tested.
public enum CRICtlTables {
    /// crictl shows the first 13 characters of an id.
    public static func shortID(_ id: String) -> String {
        let bare = id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id
        return String(bare.prefix(13))
    }

    /// "5 seconds ago", "3 minutes ago", "2 hours ago", "4 days ago", as crictl words ages.
    public static func age(_ date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        func unit(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s") ago" }
        if seconds < 60 { return seconds < 1 ? "Less than a second ago" : unit(seconds, "second") }
        if seconds < 3600 { return unit(seconds / 60, "minute") }
        if seconds < 86_400 { return unit(seconds / 3600, "hour") }
        return unit(seconds / 86_400, "day")
    }

    public static func pods(_ sandboxes: [PodSandboxStatus], now: Date) -> String {
        let rows = sandboxes.sorted { $0.createdAt > $1.createdAt }.map { sandbox in
            [shortID(sandbox.id), age(sandbox.createdAt, now: now), sandbox.state == .ready ? "Ready" : "NotReady",
             sandbox.metadata.name, sandbox.metadata.namespace, String(sandbox.metadata.attempt), "(default)"]
        }
        return table(["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"], rows)
    }

    public static func containers(_ containers: [ContainerStatus], sandboxes: [PodSandboxStatus], now: Date) -> String {
        let podNames = Dictionary(sandboxes.map { ($0.id, $0.metadata.name) }, uniquingKeysWith: { first, _ in first })
        let rows = containers.sorted { $0.createdAt > $1.createdAt }.map { container in
            [shortID(container.id), shortID(container.imageID.isEmpty ? container.image : container.imageID),
             age(container.createdAt, now: now), state(container.state), container.metadata.name,
             String(container.metadata.attempt), shortID(container.sandboxID), podNames[container.sandboxID] ?? "unknown"]
        }
        return table(["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"], rows)
    }

    public static func images(_ images: [ImageInfo]) -> String {
        var rows: [[String]] = []
        for image in images {
            let tags = image.repoTags.isEmpty ? ["<none>:<none>"] : image.repoTags
            for reference in tags {
                let (repository, tag) = splitTag(reference)
                rows.append([repository, tag, shortID(image.id), humanSize(image.size)])
            }
        }
        return table(["IMAGE", "TAG", "IMAGE ID", "SIZE"], rows.sorted { $0[0] == $1[0] ? $0[1] < $1[1] : $0[0] < $1[0] })
    }

    /// The message part of each line of a CRI log file (`<time> <stream> <P|F> <message>`);
    /// partial lines (`P`) join the next one, as `kubectl logs` and crictl show them.
    public static func logMessages(_ text: String) -> String {
        var out = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3 else { continue }
            let message = parts.count == 4 ? String(parts[3]) : ""
            out += message + (parts[2] == "P" ? "" : "\n")
        }
        return out
    }

    static func state(_ state: ContainerStatus.State) -> String {
        switch state {
        case .created: "Created"
        case .running: "Running"
        case .exited: "Exited"
        case .unknown: "Unknown"
        }
    }

    static func splitTag(_ reference: String) -> (String, String) {
        if let at = reference.firstIndex(of: "@") { return (String(reference[..<at]), "<none>") }
        let lastSlash = reference.lastIndex(of: "/") ?? reference.startIndex
        if let colon = reference[lastSlash...].lastIndex(of: ":") {
            return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
        }
        return (reference, "latest")
    }

    /// Sizes as crictl prints them (decimal units, three significant digits).
    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var index = 0
        while value >= 1000, index < units.count - 1 {
            value /= 1000
            index += 1
        }
        let text = value >= 100 || index == 0 ? String(format: "%.0f", value)
            : value >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
        return text + units[index]
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
