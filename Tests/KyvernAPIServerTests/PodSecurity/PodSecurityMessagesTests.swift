import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct PodSecurityMessagesTests {
    let restricted = PodSecurityLevelVersion(level: .restricted, version: .latest)

    @Test func theEnforceRefusalReadsAsUpstreams() {
        let pod = PodSecurityTestPods.spec(#"{"containers": [{"name": "c", "image": "nginx"}]}"#)
        let error = PodSecurityMessages.forbidden(resource: "pods", name: "x", restricted,
                                                  PodSecurityEvaluator.evaluate(restricted, pod))
        #expect(error.code == 403)
        #expect(error.message == #"pods "x" is forbidden: violates PodSecurity "restricted:latest": "#
            + #"allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), "#
            + #"unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), "#
            + #"runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), "#
            + #"seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#)
    }

    @Test func warnSpeaksOnlyWhenEnforceAllows() {
        let pod = PodSecurityTestPods.spec(#"{"hostNetwork": true, "containers": [{"name": "c"}]}"#)
        var policy = PodSecurityPolicy()
        policy.warn.level = .baseline
        let warned = PodSecurityAdmission.evaluate(pod, policy: policy, enforce: true)
        #expect(warned.refusal == nil)
        #expect(warned.warnings == [#"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#])
        policy.enforce.level = .baseline
        policy.audit.level = .baseline
        let refused = PodSecurityAdmission.evaluate(pod, policy: policy, enforce: true)
        #expect(refused.refusal?.reasons == "host namespaces")
        #expect(refused.warnings.isEmpty)
        #expect(refused.auditAnnotations["pod-security.kubernetes.io/audit-violations"]
            == #"would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)"#)
        #expect(refused.auditAnnotations["pod-security.kubernetes.io/enforce-policy"] == "baseline:latest")
    }

    @Test func workloadsAreNeverRefused() {
        let pod = PodSecurityTestPods.spec(#"{"hostPID": true, "containers": [{"name": "c"}]}"#)
        let (policy, _) = PodSecurityPolicy.from(labels: ["pod-security.kubernetes.io/enforce": "baseline"])
        let verdict = PodSecurityAdmission.evaluate(pod, policy: policy, enforce: false)
        #expect(verdict.refusal == nil)
        #expect(verdict.warnings == [#"would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)"#])
    }

    @Test func existingPodWarningsGroupPodsByReasons() {
        let bad = PodSecurityResult(violations: [.init(reason: "host namespaces", detail: "hostNetwork=true")])
        let worse = PodSecurityResult(violations: [.init(reason: "privileged", detail: "x"), .init(reason: "seccompProfile", detail: "y")])
        let warnings = PodSecurityMessages.existingPods(namespace: "team", enforce: restricted, results: [
            ("web-2", bad), ("web-1", bad), ("web-3", bad), ("db", worse), ("ok", PodSecurityResult(violations: [])), ("x", worse),
        ])
        #expect(warnings == [
            #"existing pods in namespace "team" violate the new PodSecurity enforce level "restricted:latest""#,
            "db (and 1 other pod): privileged, seccompProfile",
            "web-1 (and 2 other pods): host namespaces",
        ])
        #expect(PodSecurityMessages.existingPods(namespace: "team", enforce: restricted, results: [("ok", PodSecurityResult(violations: []))]).isEmpty)
    }

    @Test func onlyImageOrContainerChangesMakeAPodUpdateSignificant() throws {
        let old = try JSONValue.parse(#"{"spec": {"containers": [{"name": "c", "image": "a"}]}, "metadata": {"labels": {}}}"#)
        var relabeled = old
        relabeled[path: ["metadata", "labels"]] = ["x": "y"]
        #expect(!PodSecurityAdmission.isSignificantPodUpdate(relabeled, old: old))
        var reimaged = old
        reimaged[path: ["spec", "containers"]] = [["name": "c", "image": "b"]]
        #expect(PodSecurityAdmission.isSignificantPodUpdate(reimaged, old: old))
        var debugged = old
        debugged[path: ["spec", "ephemeralContainers"]] = [["name": "debug", "image": "busybox"]]
        #expect(PodSecurityAdmission.isSignificantPodUpdate(debugged, old: old))
    }

    @Test func templatesAreFoundInEveryWorkloadKind() throws {
        let cron = try JSONValue.parse(#"{"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostIPC": true}}}}}}"#)
        let info = ResourceCatalog.find(group: "batch", version: "v1", resource: "cronjobs")!
        let template = PodSecurityAdmission.template(of: cron, info: info)
        #expect(template??.spec["hostIPC"] == true)
        let configMaps = ResourceCatalog.find(group: "", version: "v1", resource: "configmaps")!
        #expect(PodSecurityAdmission.template(of: cron, info: configMaps) == nil)
    }
}
