import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import Logging

extension PodWorker {
    /// Creates and starts the next attempt of `spec` unless its restart is backing off, its image
    /// cannot be had, or its config cannot be made (each recorded as the container's waiting
    /// reason and an event, as upstream's kubelet reports them). Returns whether it started one.
    func start(_ spec: JSONValue, pod: JSONValue, previous: ContainerStatus?, restart: Bool) async throws -> Bool {
        let facts = PodFacts(pod: pod)
        let name = spec.containerName
        let now = context.clock.now()
        guard let sandboxID, let sandboxConfig else { return false }
        if let previous, previous.state == .exited {
            if let started = previous.startedAt, let finished = previous.finishedAt,
               finished.timeIntervalSince(started) >= backoff.resetAfter {
                backoff.reset(name)
            }
            if backoff.isInBackoff(name, since: previous.finishedAt ?? now, now: now) {
                let message = "back-off \(RestartBackoff.goDuration(backoff.delay(name))) restarting failed container=\(name) pod=\(facts.display)"
                if waiting[name]?.message != message {
                    await context.events.warning(pod, container: name, reason: "BackOff",
                                                 message: "Back-off restarting failed container \(name) in pod \(facts.display)")
                }
                waiting[name] = ("CrashLoopBackOff", message)
                return false
            }
        }
        guard try await ensureImage(spec, pod: pod) else { return false }

        let env: [EnvVar]
        let mounts: [Mount]
        do {
            env = try await context.environment.resolve(pod: pod, container: spec, nodeName: context.nodeName,
                                                        nodeIP: context.nodeIP, podIP: podIPs.first ?? context.nodeIP)
            mounts = try await context.volumes.mounts(pod: pod, container: spec)
        } catch {
            let message = "\(error)"
            if waiting[name]?.message != message {
                await context.events.warning(pod, container: name, reason: "Failed", message: "Error: \(message)")
            }
            waiting[name] = ("CreateContainerConfigError", message)
            return false
        }
        if let previous, previous.state == .exited { backoff.next(name, now: now) }
        let attempt = previous.map { $0.metadata.attempt + 1 } ?? 0
        let config = ContainerConfigBuilder.config(pod: pod, container: spec, attempt: attempt, env: env, mounts: mounts)
        let id: String
        do {
            id = try await context.startStep("create_container") {
                try await context.runtime.createContainer(sandboxID: sandboxID, config: config, sandboxConfig: sandboxConfig)
            }
        } catch {
            await context.events.warning(pod, container: name, reason: "Failed", message: "Error: \(error)")
            waiting[name] = ("CreateContainerError", "\(error)")
            return false
        }
        await context.events.normal(pod, container: name, reason: "Created", message: "Created container: \(name)")
        do {
            try await context.startStep("start_container") { try await context.runtime.startContainer(id: id) }
        } catch {
            await context.events.warning(pod, container: name, reason: "Failed", message: "Error: \(error)")
            waiting[name] = ("RunContainerError", "\(error)")
            return true
        }
        await context.events.normal(pod, container: name, reason: "Started", message: "Started container \(name)")
        waiting[name] = nil
        // Keep the previous attempt for `kubectl logs --previous`; older ones go.
        let old = try await context.runtime.listContainers(ContainerFilter(sandboxID: sandboxID))
            .filter { $0.metadata.name == name && $0.metadata.attempt < attempt - 1 && $0.state != .running }
        for container in old { try? await context.runtime.removeContainer(id: container.id) }
        _ = restart
        return true
    }

    /// The container's image present as its imagePullPolicy wants it: Never uses only what is
    /// there, IfNotPresent pulls when missing, Always (the default for `:latest` or no tag) pulls.
    /// A failed pull backs off (ErrImagePull, then ImagePullBackOff) as upstream's does.
    func ensureImage(_ spec: JSONValue, pod: JSONValue) async throws -> Bool {
        let name = spec.containerName
        let image = spec["image"]?.stringValue ?? ""
        let policy = spec["imagePullPolicy"]?.stringValue ?? Self.defaultPullPolicy(image)
        let present = try? await context.images.imageStatus(image)
        if let present { imageIDs[image] = present.repoDigests.first ?? present.id }
        let quoted = GoQuote.quote(image)
        if policy == "Never" || (policy == "IfNotPresent" && present != nil) {
            guard present != nil else {
                let message = "Container image \(quoted) is not present with pull policy of Never"
                if waiting[name]?.reason != "ErrImageNeverPull" {
                    await context.events.warning(pod, container: name, reason: "ErrImageNeverPull", message: message)
                }
                waiting[name] = ("ErrImageNeverPull", message)
                return false
            }
            await context.events.normal(pod, container: name, reason: "Pulled",
                                        message: "Container image \(quoted) already present on machine")
            return true
        }
        let now = context.clock.now()
        if let failed = pullFailedAt[image], pullBackoff.isInBackoff(image, since: failed, now: now) {
            let message = "Back-off pulling image \(quoted)"
            if waiting[name]?.reason != "ImagePullBackOff" {
                await context.events.normal(pod, container: name, reason: "BackOff", message: message)
                await context.events.warning(pod, container: name, reason: "Failed", message: "Error: ImagePullBackOff")
            }
            waiting[name] = ("ImagePullBackOff", message)
            return false
        }
        await context.events.normal(pod, container: name, reason: "Pulling", message: "Pulling image \(quoted)")
        let started = ContinuousClock.now
        do {
            let credentials = await pullCredentials(pod, image: image)
            _ = try await context.timed("pull_image") { try await context.images.pullImage(image, credentials: credentials) }
            let elapsed = RestartBackoff.goPrecise(ContinuousClock.now - started)
            let info = try? await context.images.imageStatus(image)
            if let info { imageIDs[image] = info.repoDigests.first ?? info.id }
            await context.events.normal(pod, container: name, reason: "Pulled", message:
                "Successfully pulled image \(quoted) in \(elapsed) (\(elapsed) including waiting). Image size: \(info?.size ?? 0) bytes.")
            pullBackoff.reset(image)
            pullFailedAt[image] = nil
            return true
        } catch {
            pullBackoff.next(image, now: now)
            pullFailedAt[image] = now
            let message = "\(error)"
            await context.events.warning(pod, container: name, reason: "Failed", message: "Failed to pull image \(quoted): \(message)")
            await context.events.warning(pod, container: name, reason: "Failed", message: "Error: ErrImagePull")
            waiting[name] = ("ErrImagePull", message)
            return false
        }
    }

    /// Always for `:latest` or an untagged reference without digest, else IfNotPresent.
    static func defaultPullPolicy(_ image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        let last = image.split(separator: "/").last ?? ""
        guard let colon = last.lastIndex(of: ":") else { return "Always" }
        return last[last.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }

    /// Credentials from the pod's imagePullSecrets that name the image's registry; missing
    /// secrets are skipped (upstream pulls without them and warns).
    func pullCredentials(_ pod: JSONValue, image: String) async -> [RegistryCredential] {
        let facts = PodFacts(pod: pod)
        var secrets: [JSONValue] = []
        for reference in facts.spec["imagePullSecrets"]?.arrayValue ?? [] {
            guard let name = reference["name"]?.stringValue, !name.isEmpty else { continue }
            do {
                secrets.append(try await context.client.get(.secrets, namespace: facts.namespace, name: name))
            } catch {
                await context.events.warning(pod, reason: "FailedToRetrieveImagePullSecret", message:
                    "Unable to retrieve some image pull secrets (\(name)); attempting to pull the image may not succeed.")
            }
        }
        return PullCredentials.credentials(for: image, secrets: secrets)
    }

    /// Stops one container with the pod's grace period.
    func stop(_ container: ContainerStatus, pod: JSONValue, grace: Int64) async throws {
        try await context.timed("stop_container") {
            try await context.runtime.stopContainer(id: container.id, gracePeriod: .seconds(max(0, grace)))
        }
    }
}

extension RestartBackoff {
    /// Go's `time.Duration` spelling of a measured duration: `523.4ms`, `1.234567s`.
    static func goPrecise(_ duration: Duration) -> String {
        let seconds = duration.asSeconds
        if seconds < 0.001 { return "\(Int((seconds * 1e6).rounded()))µs" }
        if seconds < 1 { return trimmed(seconds * 1000) + "ms" }
        if seconds < 60 { return trimmed(seconds) + "s" }
        return goDuration(seconds)
    }

    private static func trimmed(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
