/// One resource record: owner name, type-specific data, class and time to live.
package struct DNSRecord: Sendable, Hashable {
    package var name: DNSName
    package var data: DNSRecordData
    package var recordClass: UInt16 = DNSClass.internet
    package var ttl: UInt32

    package init(name: DNSName, ttl: UInt32, data: DNSRecordData, recordClass: UInt16 = DNSClass.internet) {
        self.name = name
        self.ttl = ttl
        self.data = data
        self.recordClass = recordClass
    }

    package var type: DNSRecordType { data.type }
}

/// The data of the record types the cluster zone answers, and any other type kept as bytes.
package enum DNSRecordData: Sendable, Hashable {
    /// Four bytes of an IPv4 address.
    case a([UInt8])
    /// Sixteen bytes of an IPv6 address.
    case aaaa([UInt8])
    case ns(DNSName)
    case cname(DNSName)
    case ptr(DNSName)
    case soa(SOA)
    case srv(SRV)
    /// Character strings of at most 255 bytes each.
    case txt([[UInt8]])
    /// EDNS0's pseudo-record (RFC 6891): its class is the sender's UDP payload size, its TTL the
    /// extended rcode, version and flags; the options are kept as bytes.
    case opt([UInt8])
    /// A type this codec does not interpret (RFC 3597), kept verbatim.
    case other(DNSRecordType, [UInt8])

    package struct SOA: Sendable, Hashable {
        package var mname: DNSName
        package var rname: DNSName
        package var serial: UInt32
        package var refresh: UInt32
        package var retry: UInt32
        package var expire: UInt32
        package var minimum: UInt32

        package init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
                     expire: UInt32, minimum: UInt32) {
            self.mname = mname
            self.rname = rname
            self.serial = serial
            self.refresh = refresh
            self.retry = retry
            self.expire = expire
            self.minimum = minimum
        }
    }

    package struct SRV: Sendable, Hashable {
        package var priority: UInt16
        package var weight: UInt16
        package var port: UInt16
        package var target: DNSName

        package init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
            self.priority = priority
            self.weight = weight
            self.port = port
            self.target = target
        }
    }

    package var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .ptr: .ptr
        case .soa: .soa
        case .srv: .srv
        case .txt: .txt
        case .opt: .opt
        case .other(let type, _): type
        }
    }
}
