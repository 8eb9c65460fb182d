/// The cluster zone's answer to one question: what goes in each section, under which rcode.
package struct ClusterZoneAnswer: Sendable, Hashable {
    package var rcode: DNSResponseCode
    package var answers: [DNSRecord] = []
    package var authority: [DNSRecord] = []
    package var additional: [DNSRecord] = []

    package init(rcode: DNSResponseCode = .noError, answers: [DNSRecord] = [], authority: [DNSRecord] = [],
                 additional: [DNSRecord] = []) {
        self.rcode = rcode
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }
}
