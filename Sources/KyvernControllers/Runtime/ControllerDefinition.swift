/// A controller the manager can start: its names and how to build its runner.
///
/// `start` registers the controller's informer handlers through the context and returns the
/// runner for its reconciler; the manager starts the informers after every controller has
/// registered, so all share one cache per resource.
public struct ControllerDefinition: Sendable {
    /// Name in logs, metrics and `--concurrent-<name>-syncs`, e.g. "replicaset".
    public var name: String
    /// Other names `--controllers` accepts, e.g. upstream's "replicaset-controller".
    public var aliases: [String]
    public var enabledByDefault: Bool
    public var start: @Sendable (ControllerContext) async throws -> ControllerRunner

    public init(name: String, aliases: [String] = [], enabledByDefault: Bool = true,
                start: @escaping @Sendable (ControllerContext) async throws -> ControllerRunner) {
        self.name = name
        self.aliases = aliases
        self.enabledByDefault = enabledByDefault
        self.start = start
    }
}
