/// Failures a runtime reports, with what the agent needs to tell the user (container name, image).
public enum RuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
    case sandboxNotFound(String)
    case containerNotFound(String)
    case imageNotFound(String)
    /// The container is not in a state that allows the call (e.g. exec in an exited container).
    case invalidState(id: String, state: String)
    /// A runtime command failed; `output` is what it printed.
    case commandFailed(command: String, exitCode: Int32, output: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .sandboxNotFound(let id): "pod sandbox \(id) not found"
        case .containerNotFound(let id): "container \(id) not found"
        case .imageNotFound(let ref): "image \(ref) not found"
        case .invalidState(let id, let state): "container \(id) is \(state)"
        case .commandFailed(let command, let code, let output): "\(command) exited with \(code): \(output)"
        case .unsupported(let what): "\(what) is not supported by this runtime"
        }
    }
}
