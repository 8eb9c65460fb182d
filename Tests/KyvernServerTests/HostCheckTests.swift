import Foundation
import Logging
import Testing
@testable import KyvernServer

@Suite struct HostCheckTests {
    /// A machine of files: `files` relative to a fresh root, `tools` as executables in its bin.
    func machine(files: [String: String], tools: [String], directories: [String] = []) throws -> (HostCheck, String) {
        let root = NSTemporaryDirectory() + "kyvern-hostcheck-" + UUID().uuidString.prefix(8)
        let fm = FileManager.default
        for (path, text) in files {
            let full = root + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        for directory in directories { try fm.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true) }
        for tool in tools {
            let full = root + "/bin/" + tool
            try fm.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
            try "#!/bin/sh\n".write(toFile: full, atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full)
        }
        return (HostCheck(root: root, path: [root + "/bin"], isRoot: true), root)
    }

    static let complete: [String: String] = [
        "sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
        "proc/filesystems": "nodev\tsysfs\nnodev\toverlay\n\text4\n",
        "proc/sys/net/ipv4/ip_forward": "1\n",
        "proc/sys/net/bridge/bridge-nf-call-iptables": "1\n",
    ]

    @Test func aMachineWithEverythingPasses() throws {
        let (check, root) = try machine(files: Self.complete, tools: ["runc", "nft"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        for plugin in HostCheck.cniPlugins {
            try FileManager.default.createDirectory(atPath: root + "/usr/lib/cni", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: root + "/usr/lib/cni/" + plugin, contents: Data(),
                                           attributes: [.posixPermissions: 0o755])
        }
        let findings = check.run()
        #expect(findings.allSatisfy { $0.state == .ok }, "\(findings)")
        #expect(HostCheck.exitCode(findings) == 0)
        #expect(findings.first { $0.name == "cgroups" }?.detail == "cgroup v2 with cpu, memory, pids")
        #expect(HostCheck.report(findings).hasSuffix("This machine can run real containers.\n"))
    }

    @Test func eachGapIsNamedWithItsFix() throws {
        var files = Self.complete
        files["sys/fs/cgroup/cgroup.controllers"] = "cpu io\n"
        files["proc/filesystems"] = "nodev\tsysfs\n"
        files["proc/sys/net/ipv4/ip_forward"] = "0\n"
        files["proc/sys/net/bridge/bridge-nf-call-iptables"] = nil
        let (check, root) = try machine(files: files, tools: [])
        defer { try? FileManager.default.removeItem(atPath: root) }
        var notRoot = check
        notRoot.isRoot = false
        let findings = Dictionary(uniqueKeysWithValues: notRoot.run().map { ($0.name, $0) })
        #expect(findings["root"]?.state == .missing)
        #expect(findings["runc"]?.fix == "apt-get install runc")
        #expect(findings["cgroups"]?.detail == "cgroup v2 without memory, pids")
        #expect(findings["overlayfs"]?.fix.hasPrefix("modprobe overlay") == true)
        #expect(findings["CNI plugins"]?.fix == "apt-get install containernetworking-plugins")
        #expect(findings["iptables/nftables"]?.state == .missing)
        #expect(findings["ip_forward"]?.detail == "net.ipv4.ip_forward = 0")
        #expect(findings["br_netfilter"]?.state == .warning)
        #expect(HostCheck.exitCode(Array(findings.values)) == 1)
        let report = HostCheck.report(notRoot.run())
        #expect(report.contains("- runc: missing (not found in PATH)\n    fix: apt-get install runc\n"))
        #expect(report.hasSuffix("7 things missing for real containers; without them kyvern runs pods as plain processes.\n"))
    }

    @Test func cgroupV1HierarchiesCount() throws {
        var files = Self.complete
        files["sys/fs/cgroup/cgroup.controllers"] = nil
        let (check, root) = try machine(files: files, tools: ["runc"], directories: ["sys/fs/cgroup/cpu", "sys/fs/cgroup/memory"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(check.cgroups().detail == "cgroup v1 without pids")
        try FileManager.default.createDirectory(atPath: root + "/sys/fs/cgroup/pids", withIntermediateDirectories: true)
        #expect(check.cgroups().state == .ok)
    }
}

@Suite struct ClusterStatusTests {
    @Test func exitCodeBitsFollowMinikube() {
        var status = ClusterStatus(server: "Running", agent: "Running", apiServer: "Running", kubeconfig: "Configured",
                                   kubeconfigPath: "/k")
        #expect(status.exitCode == 0)
        status.agent = "NotReady"
        #expect(status.exitCode == 2)
        status.apiServer = "Error"
        #expect(status.exitCode == 6)
        status.server = "Stopped"
        #expect(status.exitCode == 7)
        #expect(status.text == "kyvern\ntype: Control Plane\nserver: Stopped\nagent: NotReady\napiserver: Error\nkubeconfig: Configured\n")
    }

    @Test func noKubeconfigMeansEverythingStopped() async {
        let status = await ClusterStatus.probe(dataDirectory: "/nonexistent-kyvern", kubeconfig: nil, nodeName: nil,
                                               logger: .init(label: "test"))
        #expect(status.kubeconfig == "Missing" && status.exitCode == 7)
    }
}

@Suite struct NodeRuntimeRecordTests {
    @Test func theRecordRoundTripsAndOnlyBuiltInRuntimesOpen() throws {
        let data = NSTemporaryDirectory() + "kyvern-record-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data + "/agent", withIntermediateDirectories: true)
        #expect(NodeRuntimeRecord.read(dataDirectory: data) == nil)
        let record = NodeRuntimeRecord(runtime: "containerd", endpoint: "unix:///run/containerd/containerd.sock")
        try record.write(dataDirectory: data)
        #expect(NodeRuntimeRecord.read(dataDirectory: data) == record)
        #expect(throws: NodeRuntimeRecordError.self) { try record.openBuiltIn(dataDirectory: data, logger: .init(label: "t")) }
    }
}
