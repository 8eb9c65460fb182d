import KyvernAPI

/// Upstream's defaults for a pod spec, shared by pods and every pod template.
///
/// Upstream keeps the defaults that every `PodSpec` gets apart from the ones only a `Pod` gets
/// (requests from limits, service links, host ports), so that templates do not change shape
/// when a new pod-only default appears.
enum PodSpecDefaults {
    /// Defaults of the `spec` of a pod template (`template` holds `metadata` and `spec`).
    static func applyToTemplate(_ template: inout JSONValue) {
        // A template's metadata is a plain struct upstream, written `{}` when empty.
        template.defaultValue("metadata", [:])
        template.modify("spec") { apply(toSpec: &$0) }
    }

    /// Defaults every pod spec gets.
    static func apply(toSpec spec: inout JSONValue) {
        spec.defaultString("dnsPolicy", "ClusterFirst")
        spec.defaultString("restartPolicy", "Always")
        spec.defaultValue("securityContext", [:])
        spec.defaultValue("terminationGracePeriodSeconds", 30)
        spec.defaultString("schedulerName", "default-scheduler")
        mirrorServiceAccount(&spec)
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            spec.modifyEach(list) { ContainerDefaults.apply(to: &$0) }
        }
        spec.modifyEach("volumes") { VolumeDefaults.apply(to: &$0) }
        spec.roundResourceList("overhead")
        spec.modify("resources") { resources in
            resources.roundResourceList("limits")
            resources.roundResourceList("requests")
        }
    }

    /// Defaults only a pod gets, not a template.
    static func applyPodOnly(toSpec spec: inout JSONValue) {
        for list in ["initContainers", "containers"] {
            spec.modifyEach(list) { ContainerDefaults.requestsFromLimits(&$0) }
        }
        spec.defaultValue("enableServiceLinks", true)
        if spec["hostNetwork"]?.boolValue == true {
            for list in ["initContainers", "containers"] {
                spec.modifyEach(list) { container in
                    container.modifyEach("ports") { port in
                        if port.isUnset("hostPort") || port["hostPort"]?.intValue == 0 {
                            port["hostPort"] = port["containerPort"]
                        }
                    }
                }
            }
        }
    }

    /// `serviceAccount` is the deprecated alias of `serviceAccountName`: it fills the name when only
    /// it is given, and upstream always writes it back equal to the name.
    static func mirrorServiceAccount(_ spec: inout JSONValue) {
        let alias = spec["serviceAccount"]?.stringValue ?? ""
        if (spec["serviceAccountName"]?.stringValue ?? "").isEmpty, !alias.isEmpty {
            spec["serviceAccountName"] = .string(alias)
        }
        if let name = spec["serviceAccountName"]?.stringValue, !name.isEmpty {
            spec["serviceAccount"] = .string(name)
        } else if spec["serviceAccount"] != nil {
            spec["serviceAccount"] = nil
        }
    }
}

/// Upstream's defaults for one container (regular, init or ephemeral).
enum ContainerDefaults {
    static func apply(to container: inout JSONValue) {
        if container.isEmpty("imagePullPolicy") {
            container["imagePullPolicy"] = .string(ImageReference.defaultPullPolicy(for: container["image"]?.stringValue ?? ""))
        }
        container.defaultString("terminationMessagePath", "/dev/termination-log")
        container.defaultString("terminationMessagePolicy", "File")
        // `resources` is a plain struct upstream, so it is always written, `{}` when empty.
        container.defaultValue("resources", [:])
        container.modify("resources") { resources in
            resources.roundResourceList("limits")
            resources.roundResourceList("requests")
        }
        container.modifyEach("ports") { $0.defaultString("protocol", "TCP") }
        container.modifyEach("env") { variable in
            variable.modify("valueFrom") { source in
                source.modify("fieldRef") { FieldSelectorDefaults.apply(toFieldRef: &$0) }
                source.modify("resourceFieldRef") { FieldSelectorDefaults.apply(toResourceFieldRef: &$0) }
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            container.modify(probe) { ProbeDefaults.apply(to: &$0) }
        }
        container.modify("lifecycle") { lifecycle in
            for hook in ["postStart", "preStop"] {
                lifecycle.modify(hook) { handler in handler.modify("httpGet") { ProbeDefaults.apply(toHTTPGet: &$0) } }
            }
        }
    }

    /// A pod's container requests what it limits, for each resource it does not request itself.
    static func requestsFromLimits(_ container: inout JSONValue) {
        guard case .object(let limits)? = container[path: ["resources", "limits"]] else { return }
        var requests = container[path: ["resources", "requests"]]?.objectValue ?? [:]
        for (resource, quantity) in limits where requests[resource] == nil || requests[resource] == .null {
            requests[resource] = quantity
        }
        container[path: ["resources", "requests"]] = .object(requests)
    }
}

/// Probe and HTTP handler defaults.
enum ProbeDefaults {
    static func apply(to probe: inout JSONValue) {
        probe.defaultNonZero("timeoutSeconds", 1)
        probe.defaultNonZero("periodSeconds", 10)
        probe.defaultNonZero("successThreshold", 1)
        probe.defaultNonZero("failureThreshold", 3)
        probe.modify("httpGet") { apply(toHTTPGet: &$0) }
        probe.modify("grpc") { $0.defaultValue("service", "") }
    }

    static func apply(toHTTPGet action: inout JSONValue) {
        action.defaultString("path", "/")
        action.defaultString("scheme", "HTTP")
    }
}

/// Downward API selector defaults.
enum FieldSelectorDefaults {
    static func apply(toFieldRef selector: inout JSONValue) {
        selector.defaultString("apiVersion", "v1")
    }

    /// `divisor` is a plain quantity upstream, so it is always written, "0" when unset.
    static func apply(toResourceFieldRef selector: inout JSONValue) {
        selector.defaultValue("divisor", "0")
    }

    static func apply(toDownwardAPIItems source: inout JSONValue) {
        source.modifyEach("items") { item in
            item.modify("fieldRef") { apply(toFieldRef: &$0) }
            item.modify("resourceFieldRef") { apply(toResourceFieldRef: &$0) }
        }
    }
}
