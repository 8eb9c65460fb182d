import KyvernAPI

extension CustomResourceDefinitionValidation {
    static func validateConversion(_ conversion: JSONValue?, requireRecognizedVersion: Bool) -> [APIError.Cause] {
        guard let conversion else { return [] }
        let path = "spec.conversion"
        var causes: [APIError.Cause] = []
        let strategy = conversion["strategy"]?.stringValue ?? ""
        causes += enumString(path + ".strategy", strategy, ["None", "Webhook"], required: true)
        // Upstream validates its internal form, whose fields are `webhookClientConfig` and
        // `conversionReviewVersions` directly under `conversion`; its messages use those paths.
        let webhook = conversion["webhook"].flatMap { $0.isNull ? nil : $0 }
        let config = webhook?["clientConfig"].flatMap { $0.isNull ? nil : $0 }
        let versions = webhook?["conversionReviewVersions"]?.arrayValue ?? []
        if strategy == "Webhook" {
            if let config {
                causes += ConversionWebhookClientConfigValidation.validate(config, path: path + ".webhookClientConfig")
            } else {
                causes.append(.required(path + ".webhookClientConfig", "required when strategy is set to Webhook"))
            }
            causes += validateConversionReviewVersions(versions, requireRecognized: requireRecognizedVersion,
                                                       path: path + ".conversionReviewVersions")
        } else {
            if config != nil {
                causes.append(.forbidden(path + ".webhookClientConfig", "should not be set when strategy is not set to Webhook"))
            }
            if !versions.isEmpty {
                causes.append(.forbidden(path + ".conversionReviewVersions", "should not be set when strategy is not set to Webhook"))
            }
        }
        return causes
    }

    static func validateConversionReviewVersions(_ versions: [JSONValue], requireRecognized: Bool, path: String)
        -> [APIError.Cause] {
        if versions.isEmpty { return [.required(path)] }
        var causes: [APIError.Cause] = []
        var seen: Set<String> = []
        var hasAccepted = false
        for (i, value) in versions.enumerated() {
            let v = value.stringValue ?? ""
            if !seen.insert(v).inserted {
                causes.append(.invalid("\(path)[\(i)]", .string(v), "duplicate version"))
                continue
            }
            for e in NameValidation.isDNS1035Label(v) { causes.append(.invalid("\(path)[\(i)]", .string(v), e)) }
            if acceptedConversionReviewVersions.contains(v) { hasAccepted = true }
        }
        if requireRecognized && !hasAccepted {
            causes.append(.invalid(path, rendered: GoValueRendering.stringSlice(.array(versions)),
                                   "must include at least one of " + acceptedConversionReviewVersions.joined(separator: ", ")))
        }
        return causes
    }
}
