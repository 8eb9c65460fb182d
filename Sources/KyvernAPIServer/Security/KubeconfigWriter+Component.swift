import Foundation

extension KubeconfigWriter {
    /// Writes `<data directory>/<component>.kubeconfig`: the server and CA of the admin kubeconfig
    /// but a client certificate of its own, so an in-process component acts as its own identity
    /// (e.g. `system:kube-scheduler`) with upstream's role for it, not as the admin. The
    /// certificate is issued afresh at every start.
    @discardableResult
    public static func writeComponent(_ component: String, user: String, groups: [String] = [], dataDirectory: String,
                                      host: String, port: Int, pki: ClusterPKI) throws -> String {
        let identity = try pki.issueClientCertificate(commonName: user, groups: groups)
        let caData = Data(pki.caCertificatePEM.utf8).base64EncodedString()
        let certificate = Data(identity.certificatePEM.utf8).base64EncodedString()
        let key = Data(identity.privateKeyPEM.utf8).base64EncodedString()
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: \(quoted(clusterName))
              cluster:
                server: \(quoted(serverURL(host: host, port: port)))
                certificate-authority-data: \(quoted(caData))
            users:
            - name: \(quoted(user))
              user:
                client-certificate-data: \(quoted(certificate))
                client-key-data: \(quoted(key))
            contexts:
            - name: \(quoted(component))
              context:
                cluster: \(quoted(clusterName))
                user: \(quoted(user))
            current-context: \(quoted(component))
            preferences: {}

            """
        try PKIFileStore.ensureDirectory(dataDirectory)
        let path = PKIFileStore.join(dataDirectory, "\(component).kubeconfig")
        try PKIFileStore.writeText(text, to: path, mode: PKIFileStore.privateMode)
        return path
    }
}
