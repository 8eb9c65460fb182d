import KyvernAPI

/// The pod a Job creates (upstream's `GetPodFromTemplate` plus the Job's additions).
///
/// Every pod carries the tracking finalizer. An Indexed Job's pod is named `<job>-<index>-…`,
/// carries its index as annotation and label, gets the hostname `<job>-<index>` and, in every
/// container, `JOB_COMPLETION_INDEX` read from the annotation through the downward API.
enum JobPodTemplate {
    static let indexEnvName = "JOB_COMPLETION_INDEX"

    static func pod(for job: JSONValue, index: Int?, failureCount: Int = 0, ignoredFailureCount: Int = 0,
                    controllerRef: ControllerRef) -> JSONValue {
        let name = job.name ?? ""
        var pod = PodTemplate.pod(from: job[path: ["spec", "template"]], namespace: job.namespace ?? "",
                                  ownerName: name, controllerRef: controllerRef)
        var finalizers = pod.finalizers
        if !finalizers.contains(JobPodFacts.trackingFinalizer) { finalizers.append(JobPodFacts.trackingFinalizer) }
        pod[path: ["metadata", "finalizers"]] = .array(finalizers.map { .string($0) })
        guard let index else { return pod }

        pod[path: ["metadata", "generateName"]] = .string(PodTemplate.generateNamePrefix("\(name)-\(index)"))
        pod[path: ["metadata", "annotations", JobPodFacts.indexAnnotation]] = .string("\(index)")
        pod[path: ["metadata", "labels", JobPodFacts.indexLabel]] = .string("\(index)")
        if failureCount > 0 {
            pod[path: ["metadata", "annotations", JobPodFacts.indexFailureCountAnnotation]] = .string("\(failureCount)")
        }
        if ignoredFailureCount > 0 {
            pod[path: ["metadata", "annotations", JobPodFacts.indexIgnoredFailureCountAnnotation]] =
                .string("\(ignoredFailureCount)")
        }
        if (pod[path: ["spec", "hostname"]]?.stringValue ?? "").isEmpty {
            pod[path: ["spec", "hostname"]] = .string("\(name)-\(index)")
        }
        for list in ["initContainers", "containers"] {
            guard var containers = pod[path: ["spec", list]]?.arrayValue else { continue }
            for i in containers.indices {
                var env = containers[i]["env"]?.arrayValue ?? []
                if env.contains(where: { $0["name"]?.stringValue == indexEnvName }) { continue }
                env.append(["name": .string(indexEnvName), "valueFrom": ["fieldRef": [
                    "apiVersion": "v1",
                    "fieldPath": .string("metadata.annotations['\(JobPodFacts.indexAnnotation)']"),
                ]]])
                containers[i]["env"] = .array(env)
            }
            pod[path: ["spec", list]] = .array(containers)
        }
        return pod
    }
}
