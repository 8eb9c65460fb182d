public import Foundation
public import KyvernRuntime
import KyvernRuntimeCRI
public import Logging

/// Which runtime a node agent chose, written to `<data-dir>/agent/runtime.json` when it starts, so
/// that `kyvern crictl` looks at the node's runtime, whichever it is, without being told.
public struct NodeRuntimeRecord: Codable, Sendable, Equatable {
    /// `runc`, `process` or `containerd` (never `auto`: the choice made).
    public var runtime: String
    /// The CRI socket, for `containerd`.
    public var endpoint: String?

    public init(runtime: String, endpoint: String? = nil) {
        self.runtime = runtime
        self.endpoint = endpoint
    }

    static func path(dataDirectory: String) -> String {
        (AgentRunner.Layout(dataDirectory: dataDirectory).agent as NSString).appendingPathComponent("runtime.json")
    }

    func write(dataDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(dataDirectory: dataDirectory)), options: .atomic)
    }

    /// The record of the agent that last ran with `dataDirectory`, nil when none has.
    public static func read(dataDirectory: String) -> NodeRuntimeRecord? {
        guard let data = FileManager.default.contents(atPath: path(dataDirectory: dataDirectory)) else { return nil }
        return try? JSONDecoder().decode(NodeRuntimeRecord.self, from: data)
    }

    /// The built-in runtime's containers and images as the agent keeps them in `dataDirectory`
    /// (state on disk, so another process reads the same). Throws for a CRI runtime.
    public func openBuiltIn(dataDirectory: String, logger: Logger) throws -> (any ContainerRuntime, any ImageService) {
        let layout = AgentRunner.Layout(dataDirectory: dataDirectory)
        let store = try ImageStore(root: layout.images, logger: logger)
        switch runtime {
        case AgentOptions.RuntimeChoice.runc.rawValue:
            return (try RuncRuntime(stateDirectory: layout.runtime, layerSource: store,
                                    runcPath: AgentOptions.findRunc() ?? "runc", logger: logger), store)
        case AgentOptions.RuntimeChoice.process.rawValue:
            return (try ProcessRuntime(stateDirectory: layout.runtime, layerSource: store, logger: logger), store)
        default:
            throw NodeRuntimeRecordError(message: "the node's runtime \(runtime) is not built in; use its CRI socket")
        }
    }
}

/// A runtime record that cannot be opened as asked.
public struct NodeRuntimeRecordError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
