import KyvernAPI

/// Upstream's defaults for Jobs and CronJobs, and the selector a new Job is given.
enum BatchDefaults {
    static func job(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            if spec.isUnset("completions") && spec.isUnset("parallelism") {
                spec["completions"] = 1
            }
            spec.defaultValue("parallelism", 1)
            if spec.isUnset("backoffLimit") {
                spec["backoffLimit"] = spec.isUnset("backoffLimitPerIndex") ? 6 : .int(Int64(Int32.max))
            }
            spec.defaultValue("completionMode", "NonIndexed")
            spec.defaultValue("suspend", false)
            spec.modify("podFailurePolicy") { policy in
                policy.modifyEach("rules") { rule in
                    rule.modifyEach("onPodConditions") { $0.defaultString("status", "True") }
                }
            }
            if spec.isUnset("podReplacementPolicy") {
                spec["podReplacementPolicy"] = spec.isUnset("podFailurePolicy") ? "TerminatingOrFailed" : "Failed"
            }
            spec.defaultValue("manualSelector", false)
            spec.modify("template") { PodSpecDefaults.applyToTemplate(&$0) }
        }
        // A new Job takes its labels once its selector labels are generated (`prepareForCreate`);
        // an existing one (it has a uid, or its template carries the generated labels) takes them here.
        let existing = !(object[path: ["metadata"]]?.isEmpty("uid") ?? true)
            || object[path: ["spec", "template", "metadata", "labels", uidLabels[1]]] != nil
        if existing { copyTemplateLabels(&object) }
    }

    /// A Job without labels of its own carries its pod template's.
    static func copyTemplateLabels(_ job: inout JSONValue) {
        if let labels = job[path: ["spec", "template", "metadata", "labels"]], labels.objectValue != nil,
           job[path: ["metadata"]]?.isEmpty("labels") ?? true {
            job[path: ["metadata", "labels"]] = labels
        }
    }

    /// A CronJob's job template is a spec, not a Job: only its pod template is defaulted.
    static func cronJob(_ object: inout JSONValue) {
        object.modify("spec") { spec in
            spec.defaultString("concurrencyPolicy", "Allow")
            spec.defaultValue("suspend", false)
            spec.defaultValue("successfulJobsHistoryLimit", 3)
            spec.defaultValue("failedJobsHistoryLimit", 1)
            spec.modify("jobTemplate") { $0.defaultValue("metadata", [:]) }
            spec.modify(path: ["jobTemplate", "spec", "template"]) { PodSpecDefaults.applyToTemplate(&$0) }
        }
    }

    /// Labels the Job's pods carry and select it by, unique to this Job through its uid.
    static let nameLabels = ["job-name", "batch.kubernetes.io/job-name"]
    static let uidLabels = ["controller-uid", "batch.kubernetes.io/controller-uid"]

    /// Unless the user manages the selector (`manualSelector: true`), a new Job's pod template gets
    /// its name and uid labels and its selector matches the uid label. Labels the user already set
    /// are kept (validation then rejects a mismatch).
    static func generateSelector(_ job: inout JSONValue) {
        guard job[path: ["spec", "manualSelector"]]?.boolValue != true else { return }
        let name = job[path: ["metadata", "name"]]?.stringValue ?? ""
        let uid = job[path: ["metadata", "uid"]]?.stringValue ?? ""
        var labels = job[path: ["spec", "template", "metadata", "labels"]]?.objectValue ?? [:]
        for key in nameLabels where labels[key] == nil { labels[key] = .string(name) }
        for key in uidLabels where labels[key] == nil { labels[key] = .string(uid) }
        job[path: ["spec", "template", "metadata", "labels"]] = .object(labels)
        if job[path: ["spec", "selector", "matchLabels", uidLabels[1]]] == nil {
            job[path: ["spec", "selector", "matchLabels", uidLabels[1]]] = .string(uid)
        }
    }
}
