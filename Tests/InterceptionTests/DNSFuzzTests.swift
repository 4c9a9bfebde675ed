import Testing

@testable import Interception

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so a failure replays exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Records what the snooper would add, instead of talking to the kernel.
final class RecordingIPSetWriter: IPSetWriting, @unchecked Sendable {
    // @unchecked: used from one test thread only.
    var entries: [IPSetEntry] = []
    func add(_ entries: [IPSetEntry]) throws(InterceptionError) { self.entries += entries }
}

@Suite("Malformed DNS fuzzing")
struct DNSFuzzTests {
    static func mutate(_ input: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<8, using: &random) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !bytes.isEmpty:  // random byte
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 2 where !bytes.isEmpty:  // truncate
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
            case 3:  // insert junk
                let index = Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: index)
            case 4 where bytes.count > 1:  // plant a compression pointer anywhere
                let index = Int.random(in: 0..<(bytes.count - 1), using: &random)
                bytes[index] = 0xc0 | UInt8.random(in: 0...0x3f, using: &random) & 0x01
                bytes[index + 1] = UInt8.random(in: 0...255, using: &random)
            case 5 where bytes.count >= 12:  // lie in a section count
                let field = 4 + 2 * Int.random(in: 0..<4, using: &random)
                bytes[field] = UInt8.random(in: 0...255, using: &random)
                bytes[field + 1] = UInt8.random(in: 0...255, using: &random)
            case 6 where bytes.count > 2:  // duplicate a slice (repeated records)
                let start = Int.random(in: 0..<bytes.count, using: &random)
                let end = Int.random(in: start...bytes.count, using: &random)
                bytes += bytes[start..<end]
            default:  // a length byte set to its maximum
                if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &random)] = 0xff }
            }
        }
        return bytes
    }

    @Test("20,000 mutated answers: the parser throws or succeeds, never traps; re-encoding parses")
    func parser() {
        var random = SplitMix64(seed: 0xC4A9_E70E)
        var parsed = 0
        for round in 0..<20_000 {
            let seed = DNSFixtures.all[round % DNSFixtures.all.count]
            let bytes = Self.mutate(seed, using: &random)
            if let message = try? DNSMessage(parsing: bytes) {
                parsed += 1
                #expect((try? DNSMessage(parsing: message.encoded())) != nil, "round \(round)")
            }
        }
        #expect(parsed > 0)
    }

    @Test("20,000 mutated packets through the snooper's handler (no kernel): always a decision, rewrites valid")
    func snooper() throws {
        var random = SplitMix64(seed: 0x5EED_0004)
        let writer = RecordingIPSetWriter()
        let catalog = ProviderCatalog(providers: [
            Provider(name: "openai", wireFormat: .openai, hosts: [HostPattern("api.openai.com")]),
            Provider(name: "test", wireFormat: .openai, hosts: [HostPattern("*.llm.test")]),
        ])
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let snooper = DNSSnooper(
            handler: DNSPacketHandler(catalog: catalog), writer: writer, logger: logger)
        let packets = DNSFixtures.all.flatMap { [DNSFixtures.udpPacket($0), DNSFixtures.udpPacket($0, ipv6: true)] }
        var rewrites = 0
        for round in 0..<20_000 {
            let seed = packets[round % packets.count]
            // Mutate the DNS part more often than the IP/UDP headers.
            let packet: [UInt8]
            if round % 4 == 0 {
                packet = Self.mutate(seed, using: &random)
            } else {
                let datagram = try IPDatagram(seed)
                packet = datagram.replacingUDPPayload(with: Self.mutate(Array(datagram.payload), using: &random))
            }
            let decision = snooper.process(packet: packet)
            if let replacement = decision.replacement {
                rewrites += 1
                #expect(DNSFixtures.checksumsVerify(replacement), "round \(round)")
                let message = try? DNSMessage(parsing: Array(try IPDatagram(replacement).payload))
                #expect(message != nil, "round \(round)")
                #expect(message?.answers.contains { $0.type == 65 && $0.name == DNSName("api.openai.com") } == false)
            }
        }
        let statistics = snooper.statistics
        #expect(statistics.packets == 20_000)
        #expect(statistics.malformed > 0 && statistics.intercepted > 0 && rewrites > 0)
        #expect(statistics.addressesAdded == writer.entries.count)
    }
}

import Logging
