import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct PodSecurityRestrictedChecksTests {
    typealias Checks = PodSecurityRestrictedChecks
    let spec = PodSecurityTestPods.spec
    let restricted = PodSecurityLevelVersion(level: .restricted, version: .latest)

    @Test func aHardenedPodPassesRestricted() {
        #expect(PodSecurityEvaluator.evaluate(restricted, spec(PodSecurityTestPods.restrictedSpec)).allowed)
    }

    @Test func aPlainPodFailsTheFourDefaultsInOrder() {
        let result = PodSecurityEvaluator.evaluate(restricted, spec(#"{"containers": [{"name": "c", "image": "nginx"}]}"#))
        #expect(result.violations.map(\.reason)
            == ["allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsNonRoot != true", "seccompProfile"])
    }

    @Test func capabilitiesMustDropAllAndMayAddOnlyNetBindService() {
        let pod = spec(#"{"containers": [{"name": "a", "securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}},"#
            + #" {"name": "b", "securityContext": {"capabilities": {"add": ["CHOWN"]}}}]}"#)
        #expect(Checks.capabilities(pod) == .init(reason: "unrestricted capabilities",
            detail: #"container "b" must set securityContext.capabilities.drop=["ALL"]; "#
                + #"container "b" must not include "CHOWN" in securityContext.capabilities.add"#))
    }

    @Test func restrictedVolumeTypes() {
        let pod = spec(#"{"volumes": [{"name": "a", "hostPath": {"path": "/"}}, {"name": "b", "nfs": {"server": "x", "path": "/"}},"#
            + #" {"name": "c", "configMap": {"name": "x"}}]}"#)
        #expect(Checks.volumes(pod) == .init(reason: "restricted volume types",
            detail: #"volumes "a", "b" use restricted volume types "hostPath", "nfs""#))
    }

    @Test func runAsNonRootExplicitAndImplicit() {
        let explicit = spec(#"{"securityContext": {"runAsNonRoot": false}, "containers": [{"name": "a"}]}"#)
        #expect(Checks.runAsNonRoot(explicit)?.detail == "pod must not set securityContext.runAsNonRoot=false")
        let implicit = spec(#"{"containers": [{"name": "a"}, {"name": "b", "securityContext": {"runAsNonRoot": true}}]}"#)
        #expect(Checks.runAsNonRoot(implicit)?.detail == #"pod or container "a" must set securityContext.runAsNonRoot=true"#)
        #expect(Checks.runAsNonRoot(spec(#"{"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "a"}]}"#)) == nil)
    }

    @Test func runAsUserZero() {
        let pod = spec(#"{"securityContext": {"runAsUser": 0}, "containers": [{"name": "a", "securityContext": {"runAsUser": 0}}]}"#)
        #expect(Checks.runAsUser(pod) == .init(reason: "runAsUser=0", detail: #"pod and container "a" must not set runAsUser=0"#))
    }

    @Test func seccompMustBeRuntimeDefaultOrLocalhost() {
        let unset = spec(#"{"containers": [{"name": "a"}]}"#)
        #expect(Checks.seccompProfile(unset)?.detail
            == #"pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#)
        let unconfined = spec(#"{"containers": [{"name": "a", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]}"#)
        #expect(Checks.seccompProfile(unconfined)?.detail
            == #"container "a" must not set securityContext.seccompProfile.type to "Unconfined""#)
    }

    @Test func windowsPodsSkipTheLinuxOnlyChecks() {
        let result = PodSecurityEvaluator.evaluate(restricted, spec(#"{"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},"#
            + #" "containers": [{"name": "a"}]}"#))
        #expect(result.allowed)
    }

    @Test func restrictedReplacesTheBaselineChecksItTightens() {
        let ids = PodSecurityEvaluator.restricted.map(\.id)
        #expect(!ids.contains("capabilities_baseline") && !ids.contains("hostPathVolumes")
            && !ids.contains("seccompProfile_baseline") && !ids.contains("procMount"))
        #expect(ids.first == "appArmorProfile" && ids.last == "seccompProfile_restricted")
    }
}
