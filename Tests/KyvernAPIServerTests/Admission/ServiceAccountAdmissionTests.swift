import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct ServiceAccountAdmissionTests {
    static func pod(_ spec: JSONValue) -> JSONValue {
        ["metadata": ["name": "p", "namespace": "ns"], "spec": spec]
    }

    static let account: JSONValue = ["metadata": ["name": "default", "namespace": "ns"]]

    @Test func mountsTheTokenVolumeIntoEveryContainer() {
        var pod = Self.pod(["containers": [["name": "a"], ["name": "b", "volumeMounts": [["name": "data", "mountPath": "/data"]]]],
                            "initContainers": [["name": "init"]],
                            "volumes": [["name": "data", "emptyDir": [:]]]])
        ServiceAccountAdmission.admit(&pod, account: Self.account, volumeSuffix: "x7q2z")
        let volumes = pod[path: ["spec", "volumes"]]?.arrayValue ?? []
        #expect(volumes.count == 2)
        #expect(volumes[1] == ServiceAccountAdmission.tokenVolume(name: "kube-api-access-x7q2z"))
        let sources = volumes[1][path: ["projected", "sources"]]?.arrayValue ?? []
        #expect(sources[0][path: ["serviceAccountToken", "expirationSeconds"]] == 3607)
        #expect(sources[1][path: ["configMap", "name"]] == "kube-root-ca.crt")
        #expect(sources[2][path: ["downwardAPI", "items"]]?.arrayValue?.first?["path"] == "namespace")
        let mount: JSONValue = ["name": "kube-api-access-x7q2z", "readOnly": true,
                                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"]
        for field in ["containers", "initContainers"] {
            for container in pod[path: ["spec", field]]?.arrayValue ?? [] {
                #expect(container["volumeMounts"]?.arrayValue?.last == mount)
            }
        }
        #expect(pod[path: ["spec", "containers"]]?.arrayValue?[1]["volumeMounts"]?.arrayValue?.count == 2)
    }

    @Test func automountIsDecidedByThePodFirstThenTheAccount() {
        let off: JSONValue = ["metadata": ["name": "quiet"], "automountServiceAccountToken": false]
        var pod = Self.pod(["containers": [["name": "a"]]])
        ServiceAccountAdmission.admit(&pod, account: off, volumeSuffix: "aaaaa")
        #expect(pod[path: ["spec", "volumes"]] == nil)
        #expect(pod[path: ["spec", "containers"]]?.arrayValue?[0]["volumeMounts"] == nil)

        var insisting = Self.pod(["containers": [["name": "a"]], "automountServiceAccountToken": true])
        ServiceAccountAdmission.admit(&insisting, account: off, volumeSuffix: "aaaaa")
        #expect(insisting[path: ["spec", "volumes"]]?.arrayValue?.count == 1)

        var declining = Self.pod(["containers": [["name": "a"]], "automountServiceAccountToken": false])
        ServiceAccountAdmission.admit(&declining, account: Self.account, volumeSuffix: "aaaaa")
        #expect(declining[path: ["spec", "volumes"]] == nil)
    }

    @Test func aContainerWithSomethingAtTheMountPathKeepsIt() {
        let own: JSONValue = ["name": "mine", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"]
        var pod = Self.pod(["containers": [["name": "a", "volumeMounts": [own]]], "volumes": [["name": "mine", "emptyDir": [:]]]])
        ServiceAccountAdmission.admit(&pod, account: Self.account, volumeSuffix: "aaaaa")
        #expect(pod[path: ["spec", "containers"]]?.arrayValue?[0]["volumeMounts"] == [own])
        #expect(pod[path: ["spec", "volumes"]]?.arrayValue?.count == 1)
    }

    @Test func anExistingTokenVolumeIsReused() {
        let volume = ServiceAccountAdmission.tokenVolume(name: "kube-api-access-old00")
        var pod = Self.pod(["containers": [["name": "a"]], "volumes": [volume]])
        ServiceAccountAdmission.admit(&pod, account: Self.account, volumeSuffix: "new00")
        #expect(pod[path: ["spec", "volumes"]] == [volume])
        #expect(pod[path: ["spec", "containers"]]?.arrayValue?[0]["volumeMounts"]?.arrayValue?[0]["name"] == "kube-api-access-old00")
    }

    @Test func theAccountsPullSecretsFillOnlyAnEmptyList() {
        let account: JSONValue = ["metadata": ["name": "builder"], "imagePullSecrets": [["name": "registry"]]]
        var pod = Self.pod(["containers": [["name": "a"]]])
        ServiceAccountAdmission.admit(&pod, account: account, volumeSuffix: "aaaaa")
        #expect(pod[path: ["spec", "imagePullSecrets"]] == [["name": "registry"]])

        var own = Self.pod(["containers": [["name": "a"]], "imagePullSecrets": [["name": "mine"]]])
        ServiceAccountAdmission.admit(&own, account: account, volumeSuffix: "aaaaa")
        #expect(own[path: ["spec", "imagePullSecrets"]] == [["name": "mine"]])
    }

    @Test func mirrorPodsAreRecognised() {
        let mirror: JSONValue = ["metadata": ["name": "m", "annotations": ["kubernetes.io/config.mirror": "abc"]]]
        #expect(ServiceAccountAdmission.isMirrorPod(mirror))
        #expect(!ServiceAccountAdmission.isMirrorPod(Self.pod([:])))
    }
}
