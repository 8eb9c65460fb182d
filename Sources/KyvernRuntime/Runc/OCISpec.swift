/// The part of the OCI runtime spec (config.json) the runtime writes; field names as the spec spells them.
struct OCISpec: Codable, Sendable, Hashable {
    var ociVersion = "1.0.2-dev"
    var process: Process
    var root: Root
    var hostname: String?
    var mounts: [Mount]
    var linux: Linux

    struct Process: Codable, Sendable, Hashable {
        var terminal = false
        /// The terminal's size when the process starts (an exec with a terminal; nil otherwise).
        var consoleSize: Box?
        var user: User
        var args: [String]
        var env: [String]
        var cwd: String
        var capabilities: Capabilities
        var rlimits: [Rlimit]
        var noNewPrivileges: Bool
    }

    struct Box: Codable, Sendable, Hashable {
        var height: UInt32
        var width: UInt32
    }

    struct User: Codable, Sendable, Hashable {
        var uid: UInt32
        var gid: UInt32
        var additionalGids: [UInt32]?
    }

    struct Capabilities: Codable, Sendable, Hashable {
        var bounding: [String]
        var effective: [String]
        var permitted: [String]
    }

    struct Rlimit: Codable, Sendable, Hashable {
        var type: String
        var hard: UInt64
        var soft: UInt64
    }

    struct Root: Codable, Sendable, Hashable {
        var path: String
        var readonly: Bool
    }

    struct Mount: Codable, Sendable, Hashable {
        var destination: String
        var type: String
        var source: String
        var options: [String]
    }

    struct Linux: Codable, Sendable, Hashable {
        var namespaces: [Namespace]
        var cgroupsPath: String
        var resources: Resources
        var sysctl: [String: String]?
        var maskedPaths: [String]?
        var readonlyPaths: [String]?
    }

    struct Namespace: Codable, Sendable, Hashable {
        var type: String
        var path: String?
    }

    struct Resources: Codable, Sendable, Hashable {
        var devices: [DeviceRule]
        var memory: Memory?
        var cpu: CPU?
        var pids: Pids?
    }

    struct DeviceRule: Codable, Sendable, Hashable {
        var allow: Bool
        var access: String
    }

    struct Memory: Codable, Sendable, Hashable {
        var limit: Int64?
    }

    struct CPU: Codable, Sendable, Hashable {
        var shares: UInt64?
        var quota: Int64?
        var period: UInt64?
    }

    struct Pids: Codable, Sendable, Hashable {
        var limit: Int64
    }
}
