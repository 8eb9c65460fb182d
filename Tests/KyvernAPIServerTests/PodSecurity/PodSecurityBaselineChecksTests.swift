import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct PodSecurityBaselineChecksTests {
    typealias Checks = PodSecurityBaselineChecks
    let spec = PodSecurityTestPods.spec

    @Test func aPlainPodPassesBaseline() {
        let result = PodSecurityEvaluator.evaluate(.init(level: .baseline, version: .latest),
                                                   spec(#"{"containers": [{"name": "c", "image": "nginx"}]}"#))
        #expect(result.allowed)
    }

    @Test func hostNamespaces() {
        let violation = Checks.hostNamespaces(spec(#"{"hostNetwork": true, "hostIPC": true, "containers": []}"#))
        #expect(violation == .init(reason: "host namespaces", detail: "hostNetwork=true, hostIPC=true"))
        #expect(Checks.hostNamespaces(spec(#"{"hostPID": false}"#)) == nil)
    }

    @Test func privileged() {
        let pod = spec(#"{"initContainers": [{"name": "i", "securityContext": {"privileged": true}}],"#
            + #" "containers": [{"name": "a", "securityContext": {"privileged": true}}, {"name": "b"}]}"#)
        #expect(Checks.privileged(pod)?.detail == #"containers "i", "a" must not set securityContext.privileged=true"#)
    }

    @Test func capabilitiesBeyondTheDefaultSet() {
        let pod = spec(#"{"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["NET_ADMIN", "CHOWN", "SYS_TIME"]}}}]}"#)
        #expect(Checks.capabilities(pod) == .init(reason: "non-default capabilities",
            detail: #"container "a" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add"#))
        #expect(Checks.capabilities(spec(#"{"containers": [{"name": "a", "securityContext": {"capabilities": {"add": ["KILL"]}}}]}"#)) == nil)
    }

    @Test func hostPathVolumesAndHostPorts() {
        let pod = spec(#"{"volumes": [{"name": "root", "hostPath": {"path": "/"}}, {"name": "tmp", "emptyDir": {}}],"#
            + #" "containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 90, "hostPort": 80}]}]}"#)
        #expect(Checks.hostPathVolumes(pod) == .init(reason: "hostPath volumes", detail: #"volume "root""#))
        #expect(Checks.hostPorts(pod) == .init(reason: "hostPort", detail: #"container "a" uses hostPorts 80, 8080"#))
    }

    @Test func procMountSELinuxAndSeccomp() {
        let pod = spec(#"{"securityContext": {"seccompProfile": {"type": "Unconfined"}, "seLinuxOptions": {"type": "spc_t"}},"#
            + #" "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked", "seLinuxOptions": {"user": "root"}}}]}"#)
        #expect(Checks.procMount(pod)?.detail == #"container "a" must not set securityContext.procMount to "Unmasked""#)
        #expect(Checks.seLinuxOptions(pod)?.detail
            == #"pod and container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set"#)
        #expect(Checks.seccompProfile(pod) == .init(reason: "seccompProfile",
            detail: #"pod must not set securityContext.seccompProfile.type to "Unconfined""#))
    }

    @Test func aUserNamespaceRelaxesProcMountAtBaseline() {
        let pod = spec(#"{"hostUsers": false, "containers": [{"name": "a", "securityContext": {"procMount": "Unmasked"}}]}"#)
        #expect(PodSecurityEvaluator.evaluate(.init(level: .baseline, version: .latest), pod).allowed)
        #expect(PodSecurityEvaluator.evaluate(.init(level: .restricted, version: .latest), pod).reasons.contains("procMount"))
    }

    @Test func sysctlsAppArmorAndHostProcess() {
        let pod = PodSecurityTestPods.pod(#"{"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/a": "unconfined"}},"#
            + #" "spec": {"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}, {"name": "net.ipv4.tcp_syncookies", "value": "1"}],"#
            + #" "windowsOptions": {"hostProcess": true}},"#
            + #" "containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]}}"#)
        #expect(Checks.sysctls(pod) == .init(reason: "forbidden sysctls", detail: "kernel.msgmax"))
        #expect(Checks.appArmorProfile(pod) == .init(reason: "forbidden AppArmor profiles",
            detail: #"container "a" and annotation must not set AppArmor profile type to "Unconfined", "#
                + #""container.apparmor.security.beta.kubernetes.io/a="unconfined"""#))
        #expect(Checks.windowsHostProcess(pod)?.reason == "hostProcess")
        #expect(Checks.windowsHostProcess(pod)?.detail == "pod must not set securityContext.windowsOptions.hostProcess=true")
    }

    @Test func probeHosts() {
        let pod = spec(#"{"containers": [{"name": "a", "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}]}"#)
        #expect(Checks.hostProbesAndLifecycle(pod) == .init(reason: "probe or lifecycle host",
            detail: #"container "a" uses probe or lifecycle host "10.0.0.1""#))
    }
}
