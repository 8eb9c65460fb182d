import Foundation
import KyvernRuntime
@testable import KyvernRuntimeCRI
import Testing

@Suite struct CRIRequestsTests {
    let sandbox = PodSandboxConfig(
        metadata: PodSandboxMetadata(name: "web", namespace: "prod", uid: "u-1", attempt: 2), hostname: "web",
        logDirectory: "/var/log/pods/prod_web_u-1", dnsConfig: DNSConfig(servers: ["10.43.0.10"], searches: ["prod.svc.cluster.local"], options: ["ndots:5"]),
        portMappings: [PortMapping(portProtocol: .udp, containerPort: 53, hostPort: 5353, hostIP: "127.0.0.1")],
        labels: ["io.kubernetes.pod.uid": "u-1"], annotations: ["a": "b"], cgroupParent: "/kyvern/podu-1",
        sysctls: ["net.ipv4.ip_unprivileged_port_start": "0"],
        resources: LinuxResources(cpuShares: 512, memoryLimitInBytes: 1 << 30))

    @Test func sandboxConfigCarriesEveryField() {
        let message = CRIRequests.sandboxConfig(sandbox)
        #expect(message.metadata.name == "web" && message.metadata.namespace == "prod" && message.metadata.uid == "u-1")
        #expect(message.metadata.attempt == 2)
        #expect(message.hostname == "web")
        #expect(message.logDirectory == "/var/log/pods/prod_web_u-1")
        #expect(message.dnsConfig.servers == ["10.43.0.10"] && message.dnsConfig.searches == ["prod.svc.cluster.local"])
        #expect(message.dnsConfig.options == ["ndots:5"])
        #expect(message.portMappings.count == 1)
        #expect(message.portMappings[0].protocol == .udp && message.portMappings[0].containerPort == 53)
        #expect(message.portMappings[0].hostPort == 5353 && message.portMappings[0].hostIp == "127.0.0.1")
        #expect(message.labels == ["io.kubernetes.pod.uid": "u-1"] && message.annotations == ["a": "b"])
        #expect(message.linux.cgroupParent == "/kyvern/podu-1")
        #expect(message.linux.sysctls == ["net.ipv4.ip_unprivileged_port_start": "0"])
        #expect(message.linux.resources.cpuShares == 512 && message.linux.resources.memoryLimitInBytes == 1 << 30)
        #expect(message.linux.securityContext.namespaceOptions.network == .pod)
        #expect(message.linux.securityContext.namespaceOptions.pid == .container)
        #expect(message.linux.securityContext.namespaceOptions.ipc == .pod)
    }

    @Test func hostNamespacesBecomeNodeMode() {
        let options = CRIRequests.namespaceOptions(NamespaceOptions(hostNetwork: true, hostPID: true, hostIPC: true))
        #expect(options.network == .node && options.pid == .node && options.ipc == .node)
    }

    @Test func noDNSConfigLeavesTheFieldUnset() {
        var plain = sandbox
        plain.dnsConfig = DNSConfig()
        #expect(!CRIRequests.sandboxConfig(plain).hasDnsConfig)
    }

    @Test func containerConfigCarriesCommandEnvMountsAndSecurity() {
        let config = ContainerConfig(
            metadata: ContainerMetadata(name: "app", attempt: 3), image: "127.0.0.1:5000/busybox:e2e",
            command: ["sh", "-c"], args: ["echo hi"], workingDir: "/work",
            env: [EnvVar(name: "A", value: "1"), EnvVar(name: "B", value: "é")],
            mounts: [Mount(containerPath: "/data", hostPath: "/var/lib/kyvern/v", readOnly: true)],
            labels: ["l": "v"], annotations: ["n": "m"], logPath: "app/3.log", stdin: true, stdinOnce: true, tty: true,
            resources: LinuxResources(cpuShares: 2, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 << 20),
            securityContext: LinuxContainerSecurityContext(runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [3000],
                                                           readOnlyRootFilesystem: true, privileged: false,
                                                           capabilities: Capabilities(add: ["NET_ADMIN"], drop: ["ALL"]),
                                                           noNewPrivileges: true))
        let message = CRIRequests.containerConfig(config, sandbox: sandbox)
        #expect(message.metadata.name == "app" && message.metadata.attempt == 3)
        #expect(message.image.image == "127.0.0.1:5000/busybox:e2e")
        #expect(message.command == ["sh", "-c"] && message.args == ["echo hi"] && message.workingDir == "/work")
        #expect(message.envs.map(\.key) == ["A", "B"])
        #expect(message.envs.map { String(decoding: $0.value, as: UTF8.self) } == ["1", "é"])
        #expect(message.mounts.count == 1)
        #expect(message.mounts[0].containerPath == "/data" && message.mounts[0].hostPath == "/var/lib/kyvern/v")
        #expect(message.mounts[0].readonly && message.mounts[0].propagation == .propagationPrivate)
        #expect(message.labels == ["l": "v"] && message.annotations == ["n": "m"])
        #expect(message.logPath == "app/3.log" && message.stdin && message.stdinOnce && message.tty)
        let resources = message.linux.resources
        #expect(resources.cpuShares == 2 && resources.cpuQuota == 50_000 && resources.cpuPeriod == 100_000)
        #expect(resources.memoryLimitInBytes == 64 << 20)
        let security = message.linux.securityContext
        #expect(security.runAsUser.value == 1000 && security.hasRunAsUser)
        #expect(security.runAsGroup.value == 2000 && security.supplementalGroups == [3000])
        #expect(security.readonlyRootfs && !security.privileged && security.noNewPrivs)
        #expect(security.capabilities.addCapabilities == ["NET_ADMIN"] && security.capabilities.dropCapabilities == ["ALL"])
        #expect(security.namespaceOptions.network == .pod && security.namespaceOptions.pid == .container)
    }

    @Test func unsetUserStaysUnsetSoTheImageUserApplies() {
        let config = ContainerConfig(metadata: ContainerMetadata(name: "app"), image: "busybox", logPath: "app/0.log")
        let security = CRIRequests.containerConfig(config, sandbox: sandbox).linux.securityContext
        #expect(!security.hasRunAsUser && !security.hasRunAsGroup && !security.hasCapabilities)
    }

    @Test func pullCredentialsMatchTheImageRegistry() {
        let credentials = [RegistryCredential(registry: "https://index.docker.io/v1/", username: "hub", password: "p1"),
                           RegistryCredential(registry: "127.0.0.1:5000", username: "local", password: "p2")]
        let local = CRIRequests.authConfig(for: "127.0.0.1:5000/app:1", credentials: credentials)
        #expect(local?.username == "local" && local?.password == "p2" && local?.serverAddress == "")
        #expect(CRIRequests.authConfig(for: "busybox:1.36", credentials: credentials)?.username == "hub")
        #expect(CRIRequests.authConfig(for: "library/busybox", credentials: credentials)?.username == "hub")
        #expect(CRIRequests.authConfig(for: "quay.io/x/y", credentials: credentials) == nil)
    }

    @Test func registryHostOfReferences() {
        #expect(CRIRequests.registryHost("busybox") == "docker.io")
        #expect(CRIRequests.registryHost("user/app:1") == "docker.io")
        #expect(CRIRequests.registryHost("localhost/app") == "localhost")
        #expect(CRIRequests.registryHost("ghcr.io/o/r@sha256:00") == "ghcr.io")
    }

    @Test func execTimeoutRoundsUpToWholeSeconds() {
        #expect(CRIRequests.execTimeoutSeconds(.zero) == 0)
        #expect(CRIRequests.execTimeoutSeconds(.milliseconds(200)) == 1)
        #expect(CRIRequests.execTimeoutSeconds(.seconds(2)) == 2)
        #expect(CRIRequests.execTimeoutSeconds(.milliseconds(2500)) == 3)
    }
}
