/// A DNS message (RFC 1035 §4.1): header, question and the three record sections.
///
/// The EDNS0 OPT pseudo-record is held apart from the additional section (``edns``), since it
/// describes the transport rather than the answer.
package struct DNSMessage: Sendable, Hashable {
    package var id: UInt16
    package var isResponse = false
    package var opcode: UInt8 = 0
    package var authoritative = false
    package var truncated = false
    package var recursionDesired = false
    package var recursionAvailable = false
    package var authenticData = false
    package var checkingDisabled = false
    package var rcode = DNSResponseCode.noError
    package var questions: [DNSQuestion] = []
    package var answers: [DNSRecord] = []
    package var authority: [DNSRecord] = []
    package var additional: [DNSRecord] = []
    package var edns: EDNS?

    package init(id: UInt16) {
        self.id = id
    }

    /// A response to `query`: same id, opcode, question, RD and CD bits; EDNS answered when asked.
    package init(responseTo query: DNSMessage, rcode: DNSResponseCode = .noError) {
        self.id = query.id
        self.isResponse = true
        self.opcode = query.opcode
        self.recursionDesired = query.recursionDesired
        self.checkingDisabled = query.checkingDisabled
        self.recursionAvailable = true
        self.rcode = rcode
        self.questions = query.questions
        if query.edns != nil { self.edns = EDNS(udpPayloadSize: EDNS.advertisedPayloadSize) }
    }

    /// The largest UDP response the sender of this query accepts: 512 bytes, or its EDNS size.
    package var maxUDPResponseSize: Int {
        guard let edns else { return 512 }
        return max(512, Int(edns.udpPayloadSize))
    }
}

/// One question: a name, a type and a class.
package struct DNSQuestion: Sendable, Hashable {
    package var name: DNSName
    package var type: DNSRecordType
    package var questionClass: UInt16

    package init(name: DNSName, type: DNSRecordType, questionClass: UInt16 = DNSClass.internet) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}

/// What an OPT record says (RFC 6891 §6.1.3).
package struct EDNS: Sendable, Hashable {
    /// What Kyvern offers in its own OPT records: the DNS flag day 2020 size, which avoids IP fragmentation.
    package static let advertisedPayloadSize: UInt16 = 1232

    package var udpPayloadSize: UInt16
    package var extendedRcode: UInt8 = 0
    package var version: UInt8 = 0
    package var dnssecOK = false
    /// The options, kept as their wire bytes.
    package var options: [UInt8] = []

    package init(udpPayloadSize: UInt16) {
        self.udpPayloadSize = udpPayloadSize
    }
}
