import AsyncHTTPClient
import Foundation
import KyvernRuntime
import NIOCore
import NIOHTTP1
import NIOPosix

/// Runs one probe attempt against a container, as upstream's prober does: exec through the
/// runtime (exit 0 succeeds), HTTP GET (200–399 succeeds, redirects followed, TLS unchecked),
/// a TCP connect, or the gRPC health check.
struct Prober: Sendable {
    let runtime: any ContainerRuntime
    let http: HTTPClient
    /// `kube-probe/<major>.<minor>` as upstream's User-Agent.
    let userAgent: String

    /// `target` is the pod's IP (the node's for host-network pods) when the probe names no host.
    func run(_ probe: ProbeSpec, containerID: String, target: String) async -> ProbeOutcome {
        let timeout = Duration.seconds(probe.timeoutSeconds)
        switch probe.action {
        case .exec(let command):
            return await exec(command, containerID: containerID, timeout: timeout)
        case .httpGet(let scheme, let host, let port, let path, let headers):
            return await httpGet(scheme: scheme, host: host ?? target, port: port, path: path, headers: headers, timeout: timeout)
        case .tcpSocket(let host, let port):
            return await Self.tcp(host: host ?? target, port: port, timeout: timeout)
        case .grpc(let port, let service):
            return await GRPCHealthCheck.check(host: target, port: port, service: service, timeout: timeout)
        }
    }

    func exec(_ command: [String], containerID: String, timeout: Duration) async -> ProbeOutcome {
        do {
            let result = try await runtime.execSync(id: containerID, command: command, timeout: timeout)
            if result.timedOut {
                return .failure("command \(GoQuote.quote(command.joined(separator: " "))) timed out")
            }
            if result.exitCode == 0 { return .success }
            return .failure(String(decoding: result.stdout + result.stderr, as: UTF8.self))
        } catch {
            return .failure("\(error)")
        }
    }

    func httpGet(scheme: String, host: String, port: Int, path: String, headers: [(String, String)],
                 timeout: Duration) async -> ProbeOutcome {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let url = "\(scheme)://\(hostPart):\(port)\(path)"
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: userAgent)
        request.headers.add(name: "Accept", value: "*/*")
        for (name, value) in headers {
            if name.lowercased() == "host" || name.lowercased() == "user-agent" || name.lowercased() == "accept" {
                request.headers.replaceOrAdd(name: name, value: value)
            } else {
                request.headers.add(name: name, value: value)
            }
        }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.asSeconds * 1e9)))
            _ = try? await response.body.collect(upTo: 10 * 1024)
            let code = Int(response.status.code)
            if (200..<400).contains(code) { return .success }
            return .failure("HTTP probe failed with statuscode: \(code)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .failure("Get \(GoQuote.quote(url)): context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
        } catch {
            return .failure("Get \(GoQuote.quote(url)): \(Self.describe(error, host: host, port: port))")
        }
    }

    static func tcp(host: String, port: Int, timeout: Duration) async -> ProbeOutcome {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout.asSeconds * 1e9)))
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            try? await channel.close()
            return .success
        } catch {
            return .failure(describe(error, host: host, port: port))
        }
    }

    /// Go's dial error spelling: `dial tcp 10.0.0.5:8080: connect: connection refused`.
    static func describe(_ error: any Error, host: String, port: Int) -> String {
        let address = "\(host):\(port)"
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first?.error {
            return describe(first, host: host, port: port)
        }
        if let io = error as? IOError {
            return "dial tcp \(address): connect: \(String(cString: strerror(io.errnoCode)).lowercased())"
        }
        if error is ChannelError { return "dial tcp \(address): i/o timeout" }
        if let http = error as? HTTPClientError, http == .connectTimeout { return "dial tcp \(address): i/o timeout" }
        return "dial tcp \(address): \(error)"
    }
}
