import Testing

@testable import Interception

@Suite("DNS message parsing")
struct DNSMessageTests {
    @Test("an A answer: header, question and address")
    func aAnswer() throws {
        let message = try DNSMessage(parsing: DNSFixtures.openaiA)
        #expect(message.header.id == 0x1111)
        #expect(message.header.isResponse)
        #expect(message.header.responseCode == 0)
        #expect(message.questions == [.init(name: DNSName("api.openai.com"), type: 1, recordClass: 1)])
        #expect(message.answers.count == 1)
        #expect(message.answers[0].ttl == 2)
        #expect(message.answers[0].data == .address(IPAddress(bytes: [198, 18, 0, 10])!))
        #expect(message.answers[0].name.description == "api.openai.com")
    }

    @Test("an AAAA answer formats as RFC 5952 text")
    func aaaaAnswer() throws {
        let message = try DNSMessage(parsing: DNSFixtures.openaiAAAA)
        guard case .address(let address) = message.answers.first?.data else {
            Issue.record("no address")
            return
        }
        #expect(address.description == "fd00::10")
        #expect(!address.isIPv4)
    }

    @Test("a CNAME chain is followed from the question name to the address, with the smallest TTL")
    func cnameChain() throws {
        let message = try DNSMessage(parsing: DNSFixtures.chatCNAMEChainA)
        let chain = message.cnameChain(from: DNSName("chat.llm.test")).map(\.name.description)
        #expect(chain == ["chat.llm.test", "edge1.cdn.test", "edge2.cdn.test"])
        let addresses = message.addresses(following: DNSName("CHAT.llm.test"))
        #expect(addresses.map(\.address.description) == ["198.18.0.11"])
        #expect(addresses.first?.ttl == 2)
        #expect(message.addresses(following: DNSName("other.test")).isEmpty)
    }

    @Test("an HTTPS record decodes priority, target and parameters, ECH included")
    func httpsRecord() throws {
        let message = try DNSMessage(parsing: DNSFixtures.openaiHTTPS)
        guard case .serviceBinding(let binding) = message.answers.first?.data else {
            Issue.record("no service binding")
            return
        }
        #expect(message.answers[0].type == DNSRecordType.https)
        #expect(binding.priority == 1)
        #expect(binding.target.labels.isEmpty)
        #expect(binding.parameters.map(\.key) == [1, 5])
        #expect(binding.parameters[0].value == [2, 0x68, 0x32])
        #expect(binding.hasECHConfig)
    }

    @Test("encoding what was parsed parses back the same, never longer than the server's", arguments: DNSFixtures.all)
    func roundTrip(bytes: [UInt8]) throws {
        let message = try DNSMessage(parsing: bytes)
        #expect(try DNSMessage(parsing: message.encoded()) == message)
        #expect(message.encoded().count <= bytes.count)
    }

    @Test("simple answers encode to dnsmasq's exact bytes")
    func exactBytes() throws {
        for bytes in [DNSFixtures.openaiA, DNSFixtures.openaiAAAA, DNSFixtures.openaiHTTPS] {
            #expect(try DNSMessage(parsing: bytes).encoded() == bytes)
        }
    }

    @Test("a pointer to itself or forwards is refused, so loops cannot happen")
    func pointerLoops() {
        // Header with one question whose name is a pointer to itself (offset 12).
        var selfLoop: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]
        selfLoop += [0xc0, 12, 0, 1, 0, 1]
        #expect(throws: DNSParseError(.badPointer, at: 12)) { try DNSMessage(parsing: selfLoop) }
        var forward: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]
        forward += [0xc0, 14, 1, 0x61, 0]
        #expect(throws: DNSParseError(.badPointer, at: 12)) { try DNSMessage(parsing: forward) }
        // Two pointers pointing at each other: the second points forwards of its own sequence.
        var mutual: [UInt8] = [0, 1, 0x81, 0x80, 0, 2, 0, 0, 0, 0, 0, 0]
        mutual += [1, 0x61, 0xc0, 18, 0, 1, 0, 1]  // name at 12: "a" + pointer to 18
        mutual += [0xc0, 12, 0, 1, 0, 1]  // name at 18: pointer to 12 → loops back to 18
        #expect(throws: DNSParseError(.badPointer, at: 14)) { try DNSMessage(parsing: mutual) }
    }

    @Test("reserved label types, overlong names and short RDATA are errors, not traps")
    func malformed() {
        let header: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSParseError(.badLabel, at: 12)) { try DNSMessage(parsing: header + [0x40, 0, 0, 1, 0, 1]) }
        let long: [UInt8] = (0..<5).flatMap { _ in [UInt8(63)] + [UInt8](repeating: 0x61, count: 63) } + [0, 0, 1, 0, 1]
        #expect(throws: DNSParseError(.nameTooLong, at: 0)) { try DNSMessage(parsing: header + long) }
        var badA = DNSFixtures.openaiA
        badA[badA.count - 5] = 3  // RDLENGTH 4 → 3
        #expect(throws: DNSParseError(.badRecordData, at: 0)) { try DNSMessage(parsing: Array(badA.dropLast())) }
        for cut in 0..<DNSFixtures.openaiA.count {
            #expect(throws: DNSParseError.self) { try DNSMessage(parsing: Array(DNSFixtures.openaiA.prefix(cut))) }
        }
    }

    @Test("a name in RDATA cannot run past its RDLENGTH")
    func rdataBounds() {
        var message = DNSFixtures.chatCNAMEChainA
        // First CNAME RDLENGTH (0x0010) → 0x0005: the name inside now overruns its RDATA.
        let index = 31 + 11
        #expect(message[index - 1] == 0x00 && message[index] == 0x10)
        message[index] = 5
        #expect(throws: DNSParseError.self) { try DNSMessage(parsing: message) }
    }

    @Test("label bytes are escaped and compared case-insensitively")
    func names() {
        let name = DNSName(labels: [[0x41, 0x2e, 0x00], Array("COM".utf8)])
        #expect(name.description == "a\\046\\000.com")
        #expect(DNSName("Api.OpenAI.com") == DNSName("api.openai.com"))
        #expect(Set([DNSName("Api.OpenAI.com"), DNSName("api.openai.com")]).count == 1)
        #expect(DNSName("_8443._https.api.example").withoutAttrleaf == DNSName("api.example"))
    }
}
