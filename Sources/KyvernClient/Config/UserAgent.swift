/// The `User-Agent` a component's requests carry, in upstream's shape
/// (`kube-scheduler/v1.36.0 (linux/amd64) kubernetes/abc123`), so the server's logs and audit
/// show which component sent what.
public enum UserAgent {
    /// Kyvern's version as the client reports it (the server reports the same in `/version`).
    public static let version = "v1.36.0-kyvern"

    /// `kyvern/<version> (<os>/<arch>) <component>`, e.g.
    /// `kyvern/v1.36.0-kyvern (linux/amd64) kyvern-scheduler`.
    public static func make(component: String, version: String = UserAgent.version) -> String {
        "kyvern/\(version) (\(os)/\(arch)) \(component)"
    }

    /// The operating system as Go names it.
    public static var os: String {
        #if os(Linux)
        "linux"
        #elseif os(macOS)
        "darwin"
        #elseif os(Windows)
        "windows"
        #else
        "unknown"
        #endif
    }

    /// The CPU architecture as Go names it.
    public static var arch: String {
        #if arch(x86_64)
        "amd64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
