import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

@Suite("Pod volume mounts")
struct VolumeMountsTests {
    func fake() throws -> FakeClient {
        let client = FakeClient()
        try client.seed(.configMaps, ["metadata": ["name": "settings", "namespace": "shop"], "data": ["app.conf": "x"]])
        return client
    }

    let volumes: [JSONValue] = [["name": "scratch", "emptyDir": [:]], ["name": "config", "configMap": ["name": "settings"]],
                                ["name": "host", "hostPath": ["path": "/etc"]]]

    @Test func mountsKeepReadOnlyAndForceItForKubeletWrittenVolumes() async throws {
        try await withPodVolumes(client: try fake()) { podVolumes, root in
            let container: JSONValue = ["name": "app", "volumeMounts": [
                ["name": "scratch", "mountPath": "/data"],
                ["name": "scratch", "mountPath": "/data-ro", "readOnly": true],
                ["name": "config", "mountPath": "/etc/app"],
                ["name": "host", "mountPath": "/host-etc", "readOnly": true],
            ]]
            let pod = volumePod(volumes: volumes, containers: [container])
            try await podVolumes.setUp(pod: pod)
            let mounts = try await podVolumes.mounts(pod: pod, container: container)
            #expect(try await podVolumes.mounts(pod: pod, container: container, environment: []) == mounts)
            let base = "\(root)/pod-uid-1/volumes"
            #expect(mounts == [
                Mount(containerPath: "/data", hostPath: "\(base)/kubernetes.io~empty-dir/scratch", readOnly: false),
                Mount(containerPath: "/data-ro", hostPath: "\(base)/kubernetes.io~empty-dir/scratch", readOnly: true),
                Mount(containerPath: "/etc/app", hostPath: "\(base)/kubernetes.io~configmap/config", readOnly: true),
                Mount(containerPath: "/host-etc", hostPath: "/etc", readOnly: true),
            ])
        }
    }

    @Test func subPathIsCreatedResolvedAndChecked() async throws {
        try await withPodVolumes(client: try fake()) { podVolumes, root in
            let container: JSONValue = ["name": "app", "volumeMounts": [
                ["name": "scratch", "mountPath": "/logs", "subPath": "logs/app"],
                ["name": "config", "mountPath": "/etc/app.conf", "subPath": "app.conf"],
                ["name": "scratch", "mountPath": "/per-pod", "subPathExpr": "pods/$(POD_NAME)"],
            ]]
            let pod = volumePod(volumes: volumes, containers: [container])
            try await podVolumes.setUp(pod: pod)
            let mounts = try await podVolumes.mounts(pod: pod, container: container,
                                                     environment: [EnvVar(name: "POD_NAME", value: "web")])
            let scratch = MountTable.canonical("\(root)/pod-uid-1/volumes/kubernetes.io~empty-dir/scratch")
            #expect(mounts[0].hostPath == scratch + "/logs/app")
            #expect(fileMode(scratch + "/logs/app") == 0o777)
            let config = MountTable.canonical("\(root)/pod-uid-1/volumes/kubernetes.io~configmap/config")
            #expect(mounts[1].hostPath.hasPrefix(config + "/.."))
            #expect(mounts[1].hostPath.hasSuffix("/app.conf"))
            #expect(readText(mounts[1].hostPath) == "x")
            #expect(mounts[2].hostPath == scratch + "/pods/web")

            // Through the agent's entry point, the environment comes from the pod itself.
            let downward: JSONValue = ["name": "app", "env": [["name": "POD_NAME", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]]],
                                       "volumeMounts": [["name": "scratch", "mountPath": "/per-pod", "subPathExpr": "by-name/$(POD_NAME)"]]]
            let viaAgent = try await (podVolumes as any PodVolumeManaging).mounts(pod: pod, container: downward)
            #expect(viaAgent.map(\.hostPath) == [scratch + "/by-name/web"])

            // Escapes and bad references.
            try FileManager.default.createSymbolicLink(atPath: scratch + "/escape", withDestinationPath: "/etc")
            let failures: [(JSONValue, String)] = [
                (["name": "scratch", "mountPath": "/x", "subPath": "/abs"], "error SubPath `/abs` must not be an absolute path"),
                (["name": "scratch", "mountPath": "/x", "subPath": "a/../../b"], "unable to provision SubPath `a/../../b`: must not contain '..'"),
                (["name": "scratch", "mountPath": "/x", "subPathExpr": "$(NOPE)/$(POD_NAME)/$(ALSO)"], "missing value for ALSO, NOPE"),
                (["name": "scratch", "mountPath": "/x", "subPath": "escape"], "subpath \"/etc\" not within volume path \"\(scratch)\""),
                (["name": "ghost", "mountPath": "/x"], "cannot find volume \"ghost\" to mount into container \"app\""),
            ]
            for (mount, message) in failures {
                let bad: JSONValue = ["name": "app", "volumeMounts": [mount]]
                await #expect(throws: VolumeError(volumeName: mount["name"]?.stringValue ?? "", message: message)) {
                    _ = try await podVolumes.mounts(pod: pod, container: bad, environment: [EnvVar(name: "POD_NAME", value: "web")])
                }
            }
        }
    }
}
