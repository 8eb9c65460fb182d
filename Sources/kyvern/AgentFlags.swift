import ArgumentParser
import KyvernServer

/// The node agent's flags, shared by `kyvern server` (its own node) and `kyvern agent`.
struct AgentFlags: ParsableArguments {
    @Option(help: "Container runtime: auto (runc as root with runc on PATH, else process), runc, or process (no isolation).")
    var runtime: String = "auto"

    @Option(help: "Name of this node (default: the host name).")
    var nodeName: String?

    @Option(help: "Port of the node agent's HTTPS endpoint (logs, exec, attach, port-forward, stats).")
    var kubeletPort: Int = 10250

    @Option(name: .customLong("pod-cidr"), help: "IPv4 range of this node's pod addresses.")
    var podCIDR: String = "10.88.0.0/16"

    func validate() throws {
        guard AgentOptions.RuntimeChoice(rawValue: runtime) != nil else {
            throw ValidationError("--runtime must be one of: auto, runc, process")
        }
        guard (1...65535).contains(kubeletPort) else { throw ValidationError("--kubelet-port must be between 1 and 65535") }
    }

    func options(dataDirectory: String, logLevel: String) -> AgentOptions {
        var options = AgentOptions(dataDirectory: dataDirectory, nodeName: nodeName)
        options.runtime = AgentOptions.RuntimeChoice(rawValue: runtime) ?? .auto
        options.kubeletPort = kubeletPort
        options.podCIDR = podCIDR
        options.logLevel = logLevel
        return options
    }
}
