/// What a container runs, merged from the pod's container and the image config the way containerd
/// does: `command` replaces the entrypoint (and then the image's CMD is dropped), `args` replaces
/// CMD; the environment starts from the image's and the pod's entries override by name.
struct ProcessPlan: Sendable, Hashable {
    var arguments: [String]
    var environment: [String]
    var workingDirectory: String

    static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    static func arguments(config: ContainerConfig, image: ImageRuntimeConfig) throws -> [String] {
        var command = config.command
        var args = config.args
        if command.isEmpty {
            if args.isEmpty { args = image.cmd }
            command = image.entrypoint
        }
        let arguments = command + args
        guard !arguments.isEmpty else {
            throw RuntimeError.commandFailed(command: "create container \(config.metadata.name)", exitCode: 1,
                                             output: "no command specified")
        }
        return arguments
    }

    /// HOSTNAME first (as containerd sets it), then the image's variables, then the pod's; a later
    /// entry with the same name replaces the earlier one in place. PATH gets a default when absent.
    static func environment(config: ContainerConfig, image: ImageRuntimeConfig, hostname: String?) -> [String] {
        var names: [String] = []
        var values: [String: String] = [:]
        func set(_ name: String, _ value: String) {
            if values[name] == nil { names.append(name) }
            values[name] = value
        }
        if let hostname, !hostname.isEmpty { set("HOSTNAME", hostname) }
        for entry in image.env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            set(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        for variable in config.env { set(variable.name, variable.value) }
        if values["PATH"] == nil {
            names.insert("PATH", at: 0)
            values["PATH"] = String(defaultPath.dropFirst(5))
        }
        return names.map { "\($0)=\(values[$0]!)" }
    }

    static func workingDirectory(config: ContainerConfig, image: ImageRuntimeConfig) -> String {
        if !config.workingDir.isEmpty { return config.workingDir }
        if !image.workingDir.isEmpty { return image.workingDir }
        return "/"
    }

    static func make(config: ContainerConfig, image: ImageRuntimeConfig, hostname: String?) throws -> ProcessPlan {
        ProcessPlan(arguments: try arguments(config: config, image: image),
                    environment: environment(config: config, image: image, hostname: hostname),
                    workingDirectory: workingDirectory(config: config, image: image))
    }
}
