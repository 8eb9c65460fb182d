/// Standard I/O of an exec or attach session, as the streaming endpoint hands it over.
///
/// Output goes out through the callbacks as it is produced; input and terminal resizes come in as
/// streams that end when the client closes them.
public struct StreamIO: Sendable {
    public var stdin: AsyncStream<[UInt8]>?
    public var stdout: (@Sendable ([UInt8]) async -> Void)?
    public var stderr: (@Sendable ([UInt8]) async -> Void)?
    public var resize: AsyncStream<TerminalSize>?

    public init(stdin: AsyncStream<[UInt8]>? = nil, stdout: (@Sendable ([UInt8]) async -> Void)? = nil,
                stderr: (@Sendable ([UInt8]) async -> Void)? = nil, resize: AsyncStream<TerminalSize>? = nil) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.resize = resize
    }
}

public struct TerminalSize: Sendable, Hashable, Codable {
    public var width: UInt16
    public var height: UInt16

    public init(width: UInt16, height: UInt16) {
        self.width = width
        self.height = height
    }
}

/// Both directions of one forwarded connection (`kubectl port-forward`).
public struct ByteStream: Sendable {
    /// Bytes from the client, to be written to the pod's port; ends when the client closes.
    public var incoming: AsyncStream<[UInt8]>
    /// Called with bytes read from the pod's port.
    public var outgoing: @Sendable ([UInt8]) async -> Void

    public init(incoming: AsyncStream<[UInt8]>, outgoing: @escaping @Sendable ([UInt8]) async -> Void) {
        self.incoming = incoming
        self.outgoing = outgoing
    }
}

/// Result of `execSync`.
public struct ExecResult: Sendable, Hashable {
    public var exitCode: Int32
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var timedOut: Bool

    public init(exitCode: Int32, stdout: [UInt8] = [], stderr: [UInt8] = [], timedOut: Bool = false) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }
}
