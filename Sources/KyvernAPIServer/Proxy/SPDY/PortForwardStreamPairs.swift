/// Port-forward's stream pairing (`portforward.k8s.io` over SPDY): per forwarded connection the
/// client opens an `error` stream and a `data` stream with the same `requestid` and `port`. The
/// connection starts once both are open; this state answers which streams form it.
struct PortForwardStreamPairs: Sendable {
    struct Request: Sendable, Hashable {
        var requestID: String
        var port: Int
        var dataStream: UInt32
        var errorStream: UInt32
    }

    enum Opened: Sendable, Hashable {
        /// The stream was accepted; the pair is not complete yet.
        case waiting
        /// The pair is complete: forward this request.
        case ready(Request)
        /// The stream is refused (RST_STREAM) with this reason.
        case rejected(String)
    }

    private struct Partial { var port: Int; var data: UInt32?; var error: UInt32? }
    private var partial: [String: Partial] = [:]

    mutating func open(streamID: UInt32, headers: [SPDYHeader]) -> Opened {
        guard let type = headers[spdy: "streamtype"] else { return .rejected("streamType header is missing") }
        guard let portText = headers[spdy: "port"] else { return .rejected("port header is missing") }
        guard let port = Int(portText), (1...65535).contains(port) else {
            return .rejected("invalid port header \(portText)")
        }
        let requestID = headers[spdy: "requestid"] ?? "stream-\(streamID)"
        var entry = partial[requestID] ?? Partial(port: port)
        switch type {
        case "data":
            guard entry.data == nil else { return .rejected("data stream already assigned for requestID \(requestID)") }
            entry.data = streamID
        case "error":
            guard entry.error == nil else { return .rejected("error stream already assigned for requestID \(requestID)") }
            entry.error = streamID
        default:
            return .rejected("invalid stream type \(type)")
        }
        guard let data = entry.data, let error = entry.error else {
            partial[requestID] = entry
            return .waiting
        }
        partial[requestID] = nil
        return .ready(Request(requestID: requestID, port: entry.port, dataStream: data, errorStream: error))
    }
}
