import Foundation
import Testing
@testable import KyvernRuntime

@Suite struct RuncSpecTests {
    let sandbox = PodSandboxConfig(metadata: .init(name: "web", namespace: "default", uid: "u1"), hostname: "web",
                                   logDirectory: "/var/log/pods/x", cgroupParent: "/kyvern/podu1", sysctls: ["net.ipv4.ip_forward": "0"])

    func builder(_ config: ContainerConfig, sandbox: PodSandboxConfig? = nil) throws -> OCISpecBuilder {
        OCISpecBuilder(config: config, sandbox: sandbox ?? self.sandbox, networkNamespacePath: "/var/run/netns/kyvern-1",
                       hostsPath: "/s/hosts", resolvConfPath: "/s/resolv.conf", hostnamePath: "/s/hostname",
                       process: try ProcessPlan.make(config: config, image: .init(cmd: ["sh"]), hostname: "web"),
                       user: .init(uid: 0, gid: 0), cgroupsPath: "/kyvern/podu1/c1")
    }

    @Test func commandReplacesEntrypointAndDropsImageCmd() throws {
        let image = ImageRuntimeConfig(entrypoint: ["/entry"], cmd: ["default"])
        var config = ContainerConfig(metadata: .init(name: "c"), image: "i", logPath: "c/0.log")
        #expect(try ProcessPlan.arguments(config: config, image: image) == ["/entry", "default"])
        config.args = ["x", "y"]
        #expect(try ProcessPlan.arguments(config: config, image: image) == ["/entry", "x", "y"])
        config.command = ["/bin/sh", "-c"]
        #expect(try ProcessPlan.arguments(config: config, image: image) == ["/bin/sh", "-c", "x", "y"])
        config.args = []
        #expect(try ProcessPlan.arguments(config: config, image: image) == ["/bin/sh", "-c"])
        #expect(throws: RuntimeError.self) {
            try ProcessPlan.arguments(config: ContainerConfig(metadata: .init(name: "c"), image: "i", logPath: "l"), image: .init())
        }
    }

    @Test func environmentMergesImageThenPodByName() {
        let image = ImageRuntimeConfig(env: ["PATH=/bin", "A=image", "EMPTY="])
        let config = ContainerConfig(metadata: .init(name: "c"), image: "i", env: [.init(name: "B", value: "pod"), .init(name: "A", value: "pod=1")],
                                     logPath: "l")
        #expect(ProcessPlan.environment(config: config, image: image, hostname: "web")
                == ["HOSTNAME=web", "PATH=/bin", "A=pod=1", "EMPTY=", "B=pod"])
        #expect(ProcessPlan.environment(config: config, image: .init(), hostname: nil).first == ProcessPlan.defaultPath)
    }

    @Test func workingDirectoryFallsBackToImageThenRoot() {
        var config = ContainerConfig(metadata: .init(name: "c"), image: "i", logPath: "l")
        #expect(ProcessPlan.workingDirectory(config: config, image: .init()) == "/")
        #expect(ProcessPlan.workingDirectory(config: config, image: .init(workingDir: "/app")) == "/app")
        config.workingDir = "/pod"
        #expect(ProcessPlan.workingDirectory(config: config, image: .init(workingDir: "/app")) == "/pod")
    }

    @Test func usersResolveFromPasswdAndSecurityContext() throws {
        let resolver = UserResolver(passwd: "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n", group: "staff:x:50:\n")
        #expect(try resolver.resolve(imageUser: "", security: .init()) == .init(uid: 0, gid: 0))
        #expect(try resolver.resolve(imageUser: "app", security: .init()) == .init(uid: 1000, gid: 1001))
        #expect(try resolver.resolve(imageUser: "app:staff", security: .init()) == .init(uid: 1000, gid: 50))
        #expect(try resolver.resolve(imageUser: "7:8", security: .init()) == .init(uid: 7, gid: 8))
        #expect(try resolver.resolve(imageUser: "app", security: .init(runAsUser: 5, runAsGroup: 6, supplementalGroups: [9]))
                == .init(uid: 5, gid: 6, additionalGids: [9]))
        #expect(try resolver.resolve(imageUser: "", security: .init(runAsUser: 1000)) == .init(uid: 1000, gid: 1001))
        #expect(throws: RuntimeError.self) { try resolver.resolve(imageUser: "ghost", security: .init()) }
    }

    @Test func capabilitiesStartFromContainerdDefaults() {
        let defaults = OCISpecBuilder.capabilities(.init(), privileged: false)
        #expect(defaults.count == 14 && defaults.contains("CAP_NET_RAW") && !defaults.contains("CAP_SYS_ADMIN"))
        let changed = OCISpecBuilder.capabilities(.init(add: ["SYS_TIME", "NET_ADMIN"], drop: ["NET_RAW"]), privileged: false)
        #expect(!changed.contains("CAP_NET_RAW") && changed.suffix(2) == ["CAP_SYS_TIME", "CAP_NET_ADMIN"])
        #expect(OCISpecBuilder.capabilities(.init(add: ["NET_BIND_SERVICE"], drop: ["ALL"]), privileged: false) == ["CAP_NET_BIND_SERVICE"])
        #expect(OCISpecBuilder.capabilities(.init(drop: ["ALL"]), privileged: true).contains("CAP_SYS_ADMIN"))
    }

    @Test func specCarriesNamespacesMountsAndResources() throws {
        var config = ContainerConfig(metadata: .init(name: "c"), image: "i", command: ["sleep", "1"],
                                     mounts: [.init(containerPath: "/data", hostPath: "/host/data", readOnly: true),
                                              .init(containerPath: "/etc/hosts", hostPath: "/kubelet/hosts")],
                                     logPath: "c/0.log",
                                     resources: .init(cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitInBytes: 20 << 20))
        config.securityContext.readOnlyRootFilesystem = true
        let spec = try builder(config).build()
        #expect(spec.process.args == ["sleep", "1"])
        #expect(spec.root == .init(path: "rootfs", readonly: true))
        #expect(spec.hostname == "web")
        #expect(spec.linux.namespaces.map(\.type) == ["mount", "pid", "ipc", "uts", "network"])
        #expect(spec.linux.namespaces.last?.path == "/var/run/netns/kyvern-1")
        #expect(spec.linux.cgroupsPath == "/kyvern/podu1/c1")
        #expect(spec.linux.resources.memory?.limit == 20 << 20)
        #expect(spec.linux.resources.cpu == .init(shares: 256, quota: 50000, period: 100000))
        #expect(spec.linux.sysctl == ["net.ipv4.ip_forward": "0"])
        #expect(spec.mounts.first { $0.destination == "/data" }?.options == ["rbind", "rprivate", "ro"])
        // The pod's own /etc/hosts wins over the sandbox's; the others come from the sandbox.
        #expect(spec.mounts.filter { $0.destination == "/etc/hosts" }.map(\.source) == ["/kubelet/hosts"])
        #expect(spec.mounts.first { $0.destination == "/etc/resolv.conf" }?.source == "/s/resolv.conf")
        #expect(spec.linux.maskedPaths?.contains("/proc/kcore") == true)
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(json.contains("\"cgroupsPath\":\"\\/kyvern\\/podu1\\/c1\"") || json.contains("\"cgroupsPath\":\"/kyvern/podu1/c1\""))
    }

    @Test func hostNamespacesAreNotUnshared() throws {
        var host = sandbox
        host.namespaceOptions = .init(hostNetwork: true, hostPID: true, hostIPC: false)
        let spec = try builder(ContainerConfig(metadata: .init(name: "c"), image: "i", logPath: "l"), sandbox: host).build()
        #expect(spec.linux.namespaces.map(\.type) == ["mount", "ipc"])
        #expect(spec.hostname == nil)
        var privileged = ContainerConfig(metadata: .init(name: "c"), image: "i", logPath: "l")
        privileged.securityContext.privileged = true
        let privilegedSpec = try builder(privileged).build()
        #expect(privilegedSpec.linux.maskedPaths == nil)
        #expect(privilegedSpec.linux.resources.devices == [.init(allow: true, access: "rwm")])
    }

    @Test func cgroupValuesAndPaths() {
        let values = CgroupV1.controlValues(.init(cpuShares: 1, cpuQuota: 20000, cpuPeriod: 100000, memoryLimitInBytes: 1024, pidsLimit: 0))
        #expect(values.map { "\($0.hierarchy)/\($0.file)=\($0.value)" } == [
            "cpu/cpu.shares=2", "cpu/cpu.cfs_period_us=100000", "cpu/cpu.cfs_quota_us=20000",
            "memory/memory.limit_in_bytes=1024", "pids/pids.max=max",
        ])
        #expect(CgroupV1.normalized("kyvern//pod1/") == "/kyvern/pod1")
        #expect(CgroupV1.normalized("/../x") == "/x")
        #expect(CgroupV1(root: "/r").path("memory", "a/b") == "/r/memory/a/b")
        #expect(CgroupV1.statValue("cache 5\ntotal_inactive_file 4096\n", key: "total_inactive_file") == 4096)
        #expect(CgroupV1.statValue("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", key: "oom_kill") == 2)
        #expect(RuncRuntime.updateArguments(.init(cpuShares: 512, memoryLimitInBytes: 100))
                == ["--cpu-shares", "512", "--memory", "100"])
    }

    @Test func overlayListsTopLayerFirst() {
        #expect(OverlayMount.options(layers: ["/l/base", "/l/app"], upper: "/c/u", work: "/c/w")
                == "lowerdir=/l/app:/l/base,upperdir=/c/u,workdir=/c/w")
    }

    @Test func versionParsesRuncOutput() {
        let version = RuncRuntime.parseVersion("runc version 1.1.5+ds1\ncommit: x\nspec: 1.0.2-dev\ngo: go1.19\n")
        #expect(version == RuntimeVersion(runtimeName: "runc", runtimeVersion: "1.1.5+ds1", runtimeAPIVersion: "1.0.2-dev"))
    }

    @Test func sandboxFiles() {
        #expect(SandboxFiles.hosts(hostname: "web", ips: ["10.0.0.5"]).hasSuffix("10.0.0.5\tweb\n"))
        #expect(SandboxFiles.resolvConf(.init(servers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"]),
                                        nodeResolvConf: "nameserver 1.1.1.1\n")
                == "search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n")
        #expect(SandboxFiles.resolvConf(.init(), nodeResolvConf: "nameserver 1.1.1.1\n") == "nameserver 1.1.1.1\n")
    }
}
