@testable import Proxy
import Testing

/// Seeded random mutations of the real hellos: the parser must return or throw, never trap, and
/// its answers for a prefix and for the whole input must agree.
@Suite struct FuzzTests {
    /// What one parse produced, comparable across calls.
    private enum Outcome: Equatable {
        case result(ClientHelloParseResult)
        case error(ClientHelloError.Code)

        init(_ parser: ClientHelloParser, _ bytes: ArraySlice<UInt8>) {
            do {
                self = .result(try parser.parse(bytes))
            } catch {
                self = .error(error.code)
            }
        }
    }

    private static let seeds: [[UInt8]] = ClientHelloFixture.all.map(\.bytes)
        + [TLSRecords.refragment(ClientHelloFixture.curlHTTP2.bytes, recordSize: 100)]
        + [TLSRecords.refragment(ClientHelloFixture.opensslLarge.bytes, recordSize: 7)]
        + [ClientHelloBuilder().records()]

    @Test func twentyThousandMutationsNeverTrapAndAgreeWithTheirPrefixes() {
        var rng = SplitMix64(seed: 0xC11E_4711_0DDB_A115)
        var tally: [String: Int] = [:]
        for iteration in 0..<20_000 {
            var bytes = Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))]
            for _ in 0...(rng.next() % 3) {
                Self.mutate(&bytes, using: &rng)
            }
            let parser = rng.next() % 8 == 0 ? ClientHelloParser(maximumSize: Int(rng.next() % 2_000)) : ClientHelloParser()
            let whole = Outcome(parser, bytes[...])
            let cut = Int(rng.next() % UInt64(bytes.count + 1))
            let prefix = Outcome(parser, bytes[..<cut])
            tally[Self.label(whole), default: 0] += 1

            switch whole {
            case .result(.complete(_, let consumed)):
                #expect(consumed <= bytes.count)
                #expect(prefix == (cut < consumed ? .result(.needMoreData) : whole), "iteration \(iteration), cut \(cut)")
            case .result(.needMoreData):
                #expect(prefix == .result(.needMoreData), "iteration \(iteration), cut \(cut)")
            case .error:
                if case .result(.complete) = prefix {
                    Issue.record("iteration \(iteration): prefix of \(cut) complete but whole input throws")
                }
            }
        }
        // The mutations should exercise every path, not just bounce off the first byte.
        for outcome in ["complete", "needMoreData", "malformed", "notTLS", "tooLarge"] {
            #expect(tally[outcome, default: 0] > 100, "\(outcome): \(tally)")
        }
    }

    private static func label(_ outcome: Outcome) -> String {
        switch outcome {
        case .result(.complete): "complete"
        case .result(.needMoreData): "needMoreData"
        case .error(let code): code.description
        }
    }

    private static func mutate(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes = [0x16]
            return
        }
        let position = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 7 {
        case 0:  // flip bits in one byte
            bytes[position] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
        case 1:  // truncate
            bytes.removeLast(bytes.count - position)
        case 2:  // insert random bytes
            bytes.insert(contentsOf: (0..<(1 + rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: position)
        case 3:  // delete a run
            bytes.removeSubrange(position..<min(bytes.count, position + 1 + Int(rng.next() % 16)))
        case 4:  // overwrite a 16-bit field at a random offset with a boundary value
            writeBoundaryValue(into: &bytes, at: min(position, bytes.count - 2), byteCount: 2, using: &rng)
        case 5:  // corrupt the first record's length or the handshake length
            if rng.next() % 2 == 0, bytes.count >= 5 {
                writeBoundaryValue(into: &bytes, at: 3, byteCount: 2, using: &rng)
            } else if bytes.count >= 9 {
                writeBoundaryValue(into: &bytes, at: 6, byteCount: 3, using: &rng)
            }
        default:  // duplicate a slice (repeats extensions and records)
            let end = min(bytes.count, position + 1 + Int(rng.next() % 64))
            bytes.insert(contentsOf: Array(bytes[position..<end]), at: end)
        }
    }

    private static func writeBoundaryValue(into bytes: inout [UInt8], at offset: Int, byteCount: Int, using rng: inout SplitMix64) {
        guard offset >= 0, offset + byteCount <= bytes.count else { return }
        let old = bytes[offset..<(offset + byteCount)].reduce(0) { $0 << 8 | Int($1) }
        let maximum = (1 << (8 * byteCount)) - 1
        let candidates = [0, 1, old - 1, old + 1, old * 2, maximum, maximum / 2, 1 << 14, (1 << 14) + 1]
        let value = min(max(candidates[Int(rng.next() % UInt64(candidates.count))], 0), maximum)
        bytes.replaceSubrange(offset..<(offset + byteCount), with: [UInt8](bigEndian: value, byteCount: byteCount))
    }
}
