import Testing

@testable import Interception

@Suite("DNS packet handler")
struct DNSPacketHandlerTests {
    static let catalog = ProviderCatalog(providers: [
        Provider(name: "openai", wireFormat: .openai, hosts: [HostPattern("api.openai.com")]),
        Provider(name: "test", wireFormat: .openai, hosts: [HostPattern("*.llm.test")]),
    ])
    let handler = DNSPacketHandler(catalog: Self.catalog, minimumTimeout: 60)

    @Test("an A answer for an exact host adds the address with timeout max(TTL, floor)")
    func exact() {
        let decision = handler.handle(packet: DNSFixtures.udpPacket(DNSFixtures.openaiA))
        #expect(decision.outcome == .intercepted)
        #expect(decision.additions == [IPSetEntry(address: IPAddress(bytes: [198, 18, 0, 10])!, timeout: 60)])
        #expect(decision.additions.first?.restoreLine == "add chaperone-llm4 198.18.0.10 timeout 60")
        #expect(decision.replacement == nil)
    }

    @Test("a wildcard question follows the CNAME chain to the address, over IPv6 too")
    func wildcardChain() {
        let short = DNSPacketHandler(catalog: Self.catalog, minimumTimeout: 1)
        let v4 = short.handle(packet: DNSFixtures.udpPacket(DNSFixtures.chatCNAMEChainA))
        #expect(v4.additions.map(\.description) == ["add chaperone-llm4 198.18.0.11 timeout 2"])
        let v6 = short.handle(packet: DNSFixtures.udpPacket(DNSFixtures.chatCNAMEChainAAAA, ipv6: true))
        #expect(v6.additions.map(\.description) == ["add chaperone-llm6 fd00::11 timeout 2"])
    }

    @Test("answers about other names, queries and other ports add nothing")
    func ignored() {
        let other = DNSPacketHandler(
            catalog: ProviderCatalog(providers: [
                Provider(name: "x", wireFormat: .openai, hosts: [HostPattern("api.anthropic.com")])
            ]))
        #expect(other.handle(packet: DNSFixtures.udpPacket(DNSFixtures.openaiA)).outcome == .notIntercepted)
        var query = DNSFixtures.openaiA
        query[2] &= 0x7f  // QR = 0
        #expect(handler.handle(packet: DNSFixtures.udpPacket(query)).outcome == .malformed)
        #expect(handler.handle(packet: DNSFixtures.udpPacket(DNSFixtures.openaiA, sourcePort: 5353)).outcome == .notDNS)
        #expect(handler.handle(packet: [0x45, 0, 0]).outcome == .malformed)
        #expect(handler.handle(packet: []).outcome == .malformed)
        #expect(handler.handle(packet: [0x20] + [UInt8](repeating: 0, count: 40)).outcome == .notDNS)
    }

    @Test("HTTPS records of intercepted names are removed; counts, lengths and checksums fixed", arguments: [false, true])
    func stripsHTTPS(ipv6: Bool) throws {
        let packet = DNSFixtures.udpPacket(DNSFixtures.openaiHTTPS, ipv6: ipv6)
        #expect(DNSFixtures.checksumsVerify(packet))
        let decision = handler.handle(packet: packet)
        #expect(decision.removedServiceBindings == 1)
        let replacement = try #require(decision.replacement)
        #expect(DNSFixtures.checksumsVerify(replacement))
        let datagram = try IPDatagram(replacement)
        #expect(datagram.packetEnd == replacement.count)
        let message = try DNSMessage(parsing: Array(datagram.payload))
        #expect(message.answers.isEmpty)
        #expect(message.header.answerCount == 0)
        #expect(message.questions.first?.type == DNSRecordType.https)
        #expect(message.header.id == 0x4444)
    }

    @Test("with stripping off, HTTPS records are kept and counted")
    func keepsHTTPS() {
        let keeping = DNSPacketHandler(catalog: Self.catalog, stripServiceBindings: false)
        let decision = keeping.handle(packet: DNSFixtures.udpPacket(DNSFixtures.openaiHTTPS))
        #expect(decision.replacement == nil)
        #expect(decision.keptServiceBindings == 1)
    }

    @Test("a rewrite keeps other records and compression valid")
    func rewriteKeepsOthers() throws {
        // The CNAME chain answer plus an HTTPS record for the intercepted name and an A for another.
        var message = try DNSMessage(parsing: DNSFixtures.chatCNAMEChainA)
        let https = try DNSMessage(parsing: DNSFixtures.openaiHTTPS).answers[0]
        message.answers.insert(
            .init(name: DNSName("edge1.cdn.test"), type: 65, recordClass: 1, ttl: 5, data: https.data), at: 1)
        message.additionals.append(
            .init(name: DNSName("ns.cdn.test"), type: 1, recordClass: 1, ttl: 9, data: .address(IPAddress(bytes: [1, 2, 3, 4])!)))
        let decision = handler.handle(packet: DNSFixtures.udpPacket(message.encoded()))
        let replacement = try #require(decision.replacement)
        let result = try DNSMessage(parsing: Array(try IPDatagram(replacement).payload))
        #expect(result.answers.map(\.type) == [5, 5, 1])
        #expect(result.additionals.map(\.name.description) == ["ns.cdn.test"])
        #expect(result.addresses(following: DNSName("chat.llm.test")).map(\.address.description) == ["198.18.0.11"])
    }

    @Test("DNS over TCP: one whole message per segment is read, split ones are counted")
    func tcp() {
        func segment(_ payload: [UInt8]) -> [UInt8] {
            var packet: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 53, 198, 18, 0, 1]
            packet += [0, 53, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]
            packet += payload
            packet[2] = UInt8(packet.count >> 8)
            packet[3] = UInt8(packet.count & 0xff)
            return packet
        }
        let dns = DNSFixtures.openaiA
        let whole = handler.handle(packet: segment([0, UInt8(dns.count)] + dns))
        #expect(whole.outcome == .intercepted)
        #expect(whole.additions.count == 1)
        #expect(handler.handle(packet: segment([0, UInt8(dns.count + 10)] + dns)).outcome == .partialTCP)
        #expect(handler.handle(packet: segment([])).outcome == .notDNS)
        // HTTPS over TCP is never rewritten (sequence numbers), only counted.
        let https = DNSFixtures.openaiHTTPS
        let kept = handler.handle(packet: segment([0, UInt8(https.count)] + https))
        #expect(kept.replacement == nil && kept.keptServiceBindings == 1)
    }

    @Test("IPv4 fragments are left alone")
    func fragments() {
        var packet = DNSFixtures.udpPacket(DNSFixtures.openaiA)
        packet[6] = 0x20  // more fragments
        #expect(handler.handle(packet: packet).outcome == .notDNS)
    }
}
