package import Logging

/// Turns one query's bytes into the response's bytes: parses, answers the cluster zone from the
/// records or forwards the rest, and applies the transport's size limit.
///
/// Queries that are themselves responses, or too short to carry a header, get no answer at all
/// (answering them could feed a reflection loop); anything else malformed gets FORMERR.
package struct DNSQueryHandler: Sendable {
    let zone: ClusterZone
    let records: ClusterDNSRecords
    let forwarder: DNSForwarder
    let metrics: DNSMetrics
    let logger: Logger

    package init(zone: ClusterZone, records: ClusterDNSRecords, forwarder: DNSForwarder, metrics: DNSMetrics,
                 logger: Logger) {
        self.zone = zone
        self.records = records
        self.forwarder = forwarder
        self.metrics = metrics
        self.logger = logger
    }

    /// The response to send back, or nil to stay silent.
    package func respond(to bytes: [UInt8], transport: DNSTransport) async -> [UInt8]? {
        let start = ContinuousClock.now
        guard let header = DNSMessage.peekHeader(bytes), !header.isResponse else {
            metrics.request(type: nil, rcode: "dropped", transport: transport, duration: .zero)
            return nil
        }
        let sizeLimit: Int
        let type: DNSRecordType?
        let response: Response
        do {
            let query = try DNSMessage(decoding: bytes)
            sizeLimit = transport == .udp ? query.maxUDPResponseSize : 65535
            type = query.questions.first?.type
            response = await answer(query, transport: transport)
        } catch {
            logger.debug("malformed DNS query", metadata: ["error": "\(error)", "bytes": "\(bytes.count)"])
            var reply = DNSMessage(id: header.id)
            reply.isResponse = true
            reply.opcode = header.opcode
            reply.recursionDesired = bytes[2] & 0x01 != 0
            reply.recursionAvailable = true
            reply.rcode = .formatError
            sizeLimit = 512
            type = nil
            response = .message(reply)
        }
        let out: [UInt8]
        let rcode: String
        switch response {
        case .message(let message):
            out = message.encoded(maxSize: sizeLimit)
            rcode = message.edns?.extendedRcode == 1 ? "BADVERS" : message.rcode.description
        case .relayed(let bytes, let query):
            if bytes.count <= sizeLimit {
                out = bytes
            } else {
                // Too big for this client's UDP: the header and question only, TC set, so it asks over TCP.
                var reply = DNSMessage(responseTo: query)
                reply.truncated = true
                if let upstream = try? DNSMessage(decoding: bytes) {
                    reply.rcode = upstream.rcode
                    reply.authoritative = upstream.authoritative
                    reply.authenticData = upstream.authenticData
                }
                out = reply.encoded(maxSize: sizeLimit)
            }
            rcode = DNSResponseCode(rawValue: bytes[3] & 0x0F).description
        }
        let duration = ContinuousClock.now - start
        metrics.request(type: type, rcode: rcode, transport: transport, duration: duration)
        if logger.logLevel <= .debug {
            logger.debug("DNS query", metadata: [
                "id": "\(header.id)", "type": "\(type.map(\.description) ?? "-")", "rcode": "\(rcode)",
                "proto": "\(transport.rawValue)", "duration": "\(duration)",
            ])
        }
        return out
    }

    private enum Response {
        case message(DNSMessage)
        /// An upstream's response, already carrying the client's id.
        case relayed([UInt8], query: DNSMessage)
    }

    private func answer(_ query: DNSMessage, transport: DNSTransport) async -> Response {
        guard query.opcode == 0 else { return .message(DNSMessage(responseTo: query, rcode: .notImplemented)) }
        guard query.questions.count == 1, let question = query.questions.first else {
            return .message(DNSMessage(responseTo: query, rcode: .formatError))
        }
        if let edns = query.edns, edns.version > 0 {
            // RFC 6891 §6.1.3: only version 0 exists; BADVERS is extended rcode 16 (1 in the OPT's high bits).
            var reply = DNSMessage(responseTo: query)
            reply.edns?.extendedRcode = 1
            return .message(reply)
        }
        let snapshot = records.snapshot
        if question.questionClass == DNSClass.internet || question.name.isSubdomain(of: zone.domain),
           let zoneAnswer = zone.answer(question, in: snapshot) {
            guard records.isSynced else {
                // Before the first list, "no such Service" would be a lie a client caches.
                return .message(DNSMessage(responseTo: query, rcode: .serverFailure))
            }
            guard question.questionClass == DNSClass.internet else {
                return .message(DNSMessage(responseTo: query, rcode: .notImplemented))
            }
            var reply = DNSMessage(responseTo: query, rcode: zoneAnswer.rcode)
            reply.authoritative = true
            reply.answers = zoneAnswer.answers
            reply.authority = zoneAnswer.authority
            reply.additional = zoneAnswer.additional
            await chaseExternalName(&reply, question: question, transport: transport)
            return .message(reply)
        }
        guard let upstream = await forwarder.forward(query, transport: transport) else {
            return .message(DNSMessage(responseTo: query, rcode: .serverFailure))
        }
        return .relayed(upstream, query: query)
    }

    /// An ExternalName Service's CNAME to a name outside the cluster: resolves the target upstream
    /// and appends its records, as CoreDNS's kubernetes plugin does through its upstream.
    private func chaseExternalName(_ reply: inout DNSMessage, question: DNSQuestion, transport: DNSTransport) async {
        guard question.type != .cname, reply.rcode == .noError, let last = reply.answers.last,
              case .cname(let target) = last.data, !target.isSubdomain(of: zone.domain) else { return }
        var query = DNSMessage(id: 0)
        query.recursionDesired = true
        query.questions = [DNSQuestion(name: target, type: question.type)]
        guard let bytes = await forwarder.forward(query, transport: transport),
              let upstream = try? DNSMessage(decoding: bytes) else { return }
        reply.answers += upstream.answers
        reply.rcode = upstream.rcode
        reply.authoritative = false
    }
}
