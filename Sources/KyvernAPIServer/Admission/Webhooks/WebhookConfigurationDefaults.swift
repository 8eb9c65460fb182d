import KyvernAPI

/// Upstream's v1 defaults for webhook configurations, so what is stored and shown is complete.
enum WebhookConfigurationDefaults {
    static func apply(_ configuration: inout JSONValue, mutating: Bool) {
        guard var hooks = configuration["webhooks"]?.arrayValue else { return }
        for i in hooks.indices {
            var hook = hooks[i]
            if hook["failurePolicy"] == nil { hook["failurePolicy"] = "Fail" }
            if hook["matchPolicy"] == nil { hook["matchPolicy"] = "Equivalent" }
            if hook["namespaceSelector"] == nil { hook["namespaceSelector"] = [:] }
            if hook["objectSelector"] == nil { hook["objectSelector"] = [:] }
            if hook["timeoutSeconds"] == nil { hook["timeoutSeconds"] = 10 }
            if mutating && hook["reinvocationPolicy"] == nil { hook["reinvocationPolicy"] = "Never" }
            if var rules = hook["rules"]?.arrayValue {
                for j in rules.indices where rules[j]["scope"] == nil { rules[j]["scope"] = "*" }
                hook["rules"] = .array(rules)
            }
            if hook[path: ["clientConfig", "service"]]?.objectValue != nil,
               hook[path: ["clientConfig", "service", "port"]] == nil {
                hook[path: ["clientConfig", "service", "port"]] = 443
            }
            hooks[i] = hook
        }
        configuration["webhooks"] = .array(hooks)
    }
}
