import Foundation

/// An exec, attach or port-forward request as its path and query name it:
/// `/exec/{ns}/{pod}/{container}?command=..&stdin=1&stdout=1&stderr=1&tty=1`,
/// `/attach/{ns}/{pod}/{container}?...`, `/portForward/{ns}/{pod}?port=..`.
struct StreamRequest: Sendable, Hashable {
    enum Kind: String, Sendable { case exec, attach, portForward }

    var kind: Kind
    var namespace: String
    var pod: String
    var container: String
    var command: [String]
    var stdin: Bool
    var stdout: Bool
    var stderr: Bool
    var tty: Bool
    var ports: [Int]

    /// nil when the path is not a streaming path.
    static func parse(path: String) -> StreamRequest? {
        let parts = path.split(separator: "?", maxSplits: 1)
        let segments = parts.first.map { $0.split(separator: "/").map(String.init) } ?? []
        guard let kind = segments.first.flatMap(Kind.init(rawValue:)) else { return nil }
        let items = KubeletResponder.queryItems(parts.count > 1 ? String(parts[1]) : nil)
        func flag(_ names: String...) -> Bool {
            items.contains { names.contains($0.0) && ($0.1 == "1" || $0.1 == "true") }
        }
        switch kind {
        case .exec, .attach:
            guard segments.count == 4 else { return nil }
            return StreamRequest(kind: kind, namespace: segments[1], pod: segments[2], container: segments[3],
                                 command: items.filter { $0.0 == "command" }.map(\.1),
                                 stdin: flag("stdin", "input"), stdout: flag("stdout", "output"),
                                 stderr: flag("stderr", "error"), tty: flag("tty"), ports: [])
        case .portForward:
            guard segments.count == 3 else { return nil }
            let ports = items.filter { $0.0 == "port" }.flatMap { $0.1.split(separator: ",") }.compactMap { Int($0) }
            return StreamRequest(kind: kind, namespace: segments[1], pod: segments[2], container: "", command: [],
                                 stdin: true, stdout: true, stderr: false, tty: false, ports: ports)
        }
    }
}
