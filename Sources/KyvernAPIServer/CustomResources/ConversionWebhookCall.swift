import KyvernAPI

extension WebhookDispatcher {
    /// Posts a ConversionReview to a CustomResourceDefinition's conversion webhook (`url` or
    /// `service` client, `caBundle`), through the same transport and Service resolution as
    /// admission webhooks; upstream gives conversion webhooks 30 seconds.
    func postConversion(clientConfig: JSONValue, body: [UInt8]) async throws -> [UInt8] {
        let caBundle = clientConfig["caBundle"]?.stringValue.flatMap { Array(base64Encoded: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        let timeout = "timeout=30s"
        let call: WebhookCall
        if let service = clientConfig["service"], service.objectValue != nil {
            let namespace = service["namespace"]?.stringValue ?? ""
            let name = service["name"]?.stringValue ?? ""
            let path = service["path"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
            let port = Int(service["port"]?.intValue ?? 443)
            let host = "\(name).\(namespace).svc"
            let url = "https://\(host):\(port)\(path)?\(timeout)"
            let resolved: (address: String, port: Int)
            do {
                resolved = try await resolveService(namespace, name, port)
            } catch {
                throw APIError(code: 500, reason: "", message: "Post \(goQuote(url)): \((error as? APIError)?.message ?? "\(error)")")
            }
            call = WebhookCall(url: url, dialURL: "https://\(host):\(resolved.port)\(path)?\(timeout)",
                               dialOverride: (host, resolved.address), caBundle: caBundle, timeoutSeconds: 30, body: body)
        } else {
            let base = clientConfig["url"]?.stringValue ?? ""
            let url = base + (base.contains("?") ? "&" : "?") + timeout
            call = WebhookCall(url: url, dialURL: url, dialOverride: nil, caBundle: caBundle, timeoutSeconds: 30, body: body)
        }
        do {
            return try await transport.post(call)
        } catch let error as WebhookTransportError {
            throw APIError(code: 500, reason: "", message: error.message)
        }
    }
}
