import Foundation
package import KyvernAPI
package import NIOSSL

/// TLS server contexts from `kubernetes.io/tls` Secrets (`tls.crt`, `tls.key`, base64 in
/// `data`), offering HTTP/2 and HTTP/1.1 by ALPN.
package enum IngressTLSContexts {
    package static let protocols = ["h2", "http/1.1"]

    /// The context for a Secret; nil when it holds no usable pair.
    package static func context(secret: JSONValue) -> NIOSSLContext? {
        guard let certificate = decoded(secret[path: ["data", "tls.crt"]]?.stringValue),
              let key = decoded(secret[path: ["data", "tls.key"]]?.stringValue) else { return nil }
        return try? context(certificatePEM: certificate, keyPEM: key)
    }

    package static func context(certificatePEM: [UInt8], keyPEM: [UInt8]) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.applicationProtocols = protocols
        return try NIOSSLContext(configuration: configuration)
    }

    private static func decoded(_ base64: String?) -> [UInt8]? {
        guard let base64, let data = Data(base64Encoded: base64), !data.isEmpty else { return nil }
        return Array(data)
    }
}
