import Foundation
public import KyvernRuntime

/// Finds a pod's containers for the agent's HTTPS endpoint straight from the runtime, by the
/// labels the pod workers put on sandboxes and containers, so logs and exec keep working for
/// containers adopted after a restart and for the previous attempt of a restarted one.
public struct RuntimeContainerLookup: ContainerLookup {
    let runtime: any ContainerRuntime

    public init(runtime: any ContainerRuntime) {
        self.runtime = runtime
    }

    public func pod(namespace: String, name: String) async -> PodContainers? {
        await all().first { $0.namespace == namespace && $0.name == name }
    }

    public func pods() async -> [PodContainers] {
        await all()
    }

    private func all() async -> [PodContainers] {
        guard let sandboxes = try? await runtime.listPodSandboxes(),
              let containers = try? await runtime.listContainers(ContainerFilter()) else { return [] }
        // The newest ready sandbox of each pod uid.
        var newest: [String: PodSandboxStatus] = [:]
        for sandbox in sandboxes {
            guard let uid = sandbox.labels[RuntimeLabels.podUID] else { continue }
            if let seen = newest[uid], Self.rank(seen) >= Self.rank(sandbox) { continue }
            newest[uid] = sandbox
        }
        return newest.map { uid, sandbox in
            let mine = containers.filter { $0.sandboxID == sandbox.id }
            var attempts: [String: ContainerAttempts] = [:]
            for (name, group) in Dictionary(grouping: mine, by: { $0.metadata.name }) {
                let ordered = group.sorted { ($0.metadata.attempt, $0.createdAt) > ($1.metadata.attempt, $1.createdAt) }
                attempts[name] = ContainerAttempts(current: ordered.first?.id, previous: ordered.dropFirst().first?.id)
            }
            return PodContainers(namespace: sandbox.labels[RuntimeLabels.podNamespace] ?? sandbox.metadata.namespace,
                                 name: sandbox.labels[RuntimeLabels.podName] ?? sandbox.metadata.name,
                                 uid: uid, sandboxID: sandbox.id, containers: attempts)
        }
    }

    private static func rank(_ sandbox: PodSandboxStatus) -> (Int, Double) {
        (sandbox.state == .ready ? 1 : 0, sandbox.createdAt.timeIntervalSince1970)
    }
}
