/// A parsed DNS message (RFC 1035), as the snooper needs it: header, questions and every record,
/// with A, AAAA, CNAME, NS, PTR, MX, SOA, SVCB and HTTPS decoded and the rest kept raw.
///
/// Parsing never traps: every length is checked against the bytes at hand, compression pointers
/// must point strictly backwards (so a chain of them always ends), and names are limited to
/// 255 octets. A message that breaks a rule throws ``DNSParseError``.
public struct DNSMessage: Sendable, Equatable {
    /// The fixed 12-byte header.
    public struct Header: Sendable, Equatable {
        public var id: UInt16
        /// QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE as on the wire.
        public var flags: UInt16
        public var questionCount: UInt16
        public var answerCount: UInt16
        public var authorityCount: UInt16
        public var additionalCount: UInt16

        /// QR: a response rather than a query.
        public var isResponse: Bool { flags & 0x8000 != 0 }
        /// TC: the answer was cut to fit; the client retries over TCP.
        public var isTruncated: Bool { flags & 0x0200 != 0 }
        public var opcode: UInt8 { UInt8((flags >> 11) & 0xf) }
        public var responseCode: UInt8 { UInt8(flags & 0xf) }
    }

    public struct Question: Sendable, Equatable {
        public var name: DNSName
        public var type: UInt16
        public var recordClass: UInt16
    }

    /// The service binding data of SVCB and HTTPS records (RFC 9460).
    public struct ServiceBinding: Sendable, Equatable {
        public var priority: UInt16
        public var target: DNSName
        /// Key/value pairs in wire order (`ech` is key 5, `alpn` key 1).
        public var parameters: [(key: UInt16, value: [UInt8])]

        /// Whether the record carries an Encrypted ClientHello configuration.
        public var hasECHConfig: Bool { parameters.contains { $0.key == 5 } }

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.priority == rhs.priority && lhs.target == rhs.target
                && lhs.parameters.map(\.key) == rhs.parameters.map(\.key)
                && lhs.parameters.map(\.value) == rhs.parameters.map(\.value)
        }
    }

    public enum RecordData: Sendable, Equatable {
        case address(IPAddress)
        case cname(DNSName)
        case ns(DNSName)
        case ptr(DNSName)
        case mx(preference: UInt16, exchange: DNSName)
        /// Primary server, responsible mailbox and the five 32-bit numbers as raw bytes.
        case soa(mname: DNSName, rname: DNSName, numbers: [UInt8])
        case serviceBinding(ServiceBinding)
        case raw([UInt8])
    }

    public struct ResourceRecord: Sendable, Equatable {
        public var name: DNSName
        public var type: UInt16
        public var recordClass: UInt16
        public var ttl: UInt32
        public var data: RecordData
    }

    public var header: Header
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authorities: [ResourceRecord]
    public var additionals: [ResourceRecord]

    /// Parses one message (for DNS over TCP, without the two-byte length prefix).
    ///
    /// - Parameter bytes: The message; trailing bytes after the last record are ignored.
    /// - Throws: ``DNSParseError`` when any length, pointer or label is invalid.
    public init(parsing bytes: [UInt8]) throws(DNSParseError) {
        var reader = DNSReader(bytes)
        header = Header(
            id: try reader.readUInt16(), flags: try reader.readUInt16(), questionCount: try reader.readUInt16(),
            answerCount: try reader.readUInt16(), authorityCount: try reader.readUInt16(),
            additionalCount: try reader.readUInt16())
        questions = []
        // Counts come from the wire: each entry consumes at least 5 bytes, so a lying count ends
        // in `.truncated` long before memory matters; still, reserve nothing from them.
        for _ in 0..<header.questionCount {
            questions.append(
                Question(name: try reader.readName(), type: try reader.readUInt16(), recordClass: try reader.readUInt16()))
        }
        answers = try reader.readRecords(count: header.answerCount)
        authorities = try reader.readRecords(count: header.authorityCount)
        additionals = try reader.readRecords(count: header.additionalCount)
    }

    public init(
        header: Header, questions: [Question], answers: [ResourceRecord], authorities: [ResourceRecord] = [],
        additionals: [ResourceRecord] = []
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
    }
}

/// A bounds-checked cursor over a DNS message.
struct DNSReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func readUInt8() throws(DNSParseError) -> UInt8 {
        guard offset < bytes.count else { throw DNSParseError(.truncated, at: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(DNSParseError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw DNSParseError(.truncated, at: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws(DNSParseError) -> UInt32 {
        let high = try readUInt16()
        return UInt32(high) << 16 | UInt32(try readUInt16())
    }

    mutating func readBytes(_ count: Int) throws(DNSParseError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw DNSParseError(.truncated, at: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a possibly compressed name and leaves the cursor after its in-place part.
    ///
    /// Each pointer must point before the start of the label sequence that contains it, so
    /// targets strictly decrease and a pointer loop is impossible.
    mutating func readName() throws(DNSParseError) -> DNSName {
        var labels: [[UInt8]] = []
        var position = offset
        var sequenceStart = offset
        var resumeAt: Int?
        var length = 1
        while true {
            guard position < bytes.count else { throw DNSParseError(.truncated, at: position) }
            let byte = bytes[position]
            switch byte & 0xc0 {
            case 0x00:
                if byte == 0 {
                    offset = resumeAt ?? position + 1
                    return DNSName(labels: labels)
                }
                let count = Int(byte)
                guard position + 1 + count <= bytes.count else { throw DNSParseError(.truncated, at: position) }
                length += 1 + count
                guard length <= 255 else { throw DNSParseError(.nameTooLong, at: position) }
                labels.append(Array(bytes[(position + 1)..<(position + 1 + count)]))
                position += 1 + count
            case 0xc0:
                guard position + 1 < bytes.count else { throw DNSParseError(.truncated, at: position) }
                let target = Int(byte & 0x3f) << 8 | Int(bytes[position + 1])
                guard target < sequenceStart else { throw DNSParseError(.badPointer, at: position) }
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
                sequenceStart = target
            default:
                throw DNSParseError(.badLabel, at: position)
            }
        }
    }

    mutating func readRecords(count: UInt16) throws(DNSParseError) -> [DNSMessage.ResourceRecord] {
        var records: [DNSMessage.ResourceRecord] = []
        for _ in 0..<count {
            let name = try readName()
            let type = try readUInt16()
            let recordClass = try readUInt16()
            let ttl = try readUInt32()
            let length = Int(try readUInt16())
            let start = offset
            guard start + length <= bytes.count else { throw DNSParseError(.truncated, at: start) }
            let data = try readRecordData(type: type, length: length)
            guard offset == start + length else { throw DNSParseError(.badRecordData, at: start) }
            records.append(.init(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data))
        }
        return records
    }

    /// Decodes one RDATA of `length` bytes at the cursor; names inside may point anywhere before.
    private mutating func readRecordData(type: UInt16, length: Int) throws(DNSParseError) -> DNSMessage.RecordData {
        let start = offset
        let end = start + length
        // Names inside RDATA must not run past it.
        var inner = DNSReader(Array(bytes[..<end]))
        inner.offset = start
        defer { offset = inner.offset }
        switch type {
        case DNSRecordType.a, DNSRecordType.aaaa:
            let expected = type == DNSRecordType.a ? 4 : 16
            guard length == expected, let address = IPAddress(bytes: try inner.readBytes(length)) else {
                throw DNSParseError(.badRecordData, at: start)
            }
            return .address(address)
        case DNSRecordType.cname: return .cname(try inner.readName())
        case DNSRecordType.ns: return .ns(try inner.readName())
        case DNSRecordType.ptr: return .ptr(try inner.readName())
        case DNSRecordType.mx: return .mx(preference: try inner.readUInt16(), exchange: try inner.readName())
        case DNSRecordType.soa:
            return .soa(mname: try inner.readName(), rname: try inner.readName(), numbers: try inner.readBytes(20))
        case DNSRecordType.svcb, DNSRecordType.https:
            let priority = try inner.readUInt16()
            let target = try inner.readName()
            var parameters: [(key: UInt16, value: [UInt8])] = []
            while inner.offset < end {
                let key = try inner.readUInt16()
                let valueLength = Int(try inner.readUInt16())
                parameters.append((key, try inner.readBytes(valueLength)))
            }
            return .serviceBinding(.init(priority: priority, target: target, parameters: parameters))
        default:
            return .raw(try inner.readBytes(length))
        }
    }
}
