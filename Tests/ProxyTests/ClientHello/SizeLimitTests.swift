@testable import Proxy
import Testing

/// The `maximumSize` bound, enforced as soon as a length field reveals it would be exceeded.
@Suite struct SizeLimitTests {
    /// A hello whose handshake message is exactly `handshakeLength` bytes, padded with extension 0x0015.
    private func paddedHello(handshakeLength: Int) -> ClientHelloBuilder {
        var builder = ClientHelloBuilder()
        let unpadded = builder.handshake.count + 4
        builder.extensions!.append((0x0015, [UInt8](repeating: 0, count: handshakeLength - unpadded)))
        return builder
    }

    @Test func declaredLengthOverLimitThrowsBeforeTheDataArrives() {
        expectError(.tooLarge, parsing: [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x50, 0x00])
        expectError(.tooLarge, parsing: [0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xFF, 0xFF, 0xFF])
    }

    @Test func recordPastTheLimitThrowsAtItsHeader() {
        let curl = ClientHelloFixture.curlHTTP2.bytes
        expectError(.tooLarge, parsing: Array(curl.prefix(5)), with: ClientHelloParser(maximumSize: 200))
    }

    @Test func limitIsInclusive() throws {
        let fixture = ClientHelloFixture.opensslLargeFragmented
        let exact = ClientHelloParser(maximumSize: fixture.bytes.count)
        #expect(try exact.parse(fixture.bytes) == .complete(fixture.expected, consumedBytes: fixture.bytes.count))
        expectError(.tooLarge, parsing: fixture.bytes, with: ClientHelloParser(maximumSize: fixture.bytes.count - 1))
    }

    @Test func tinyAndNegativeLimitsDoNotTrap() {
        let bytes = ClientHelloFixture.opensslTLS13.bytes
        for limit in [-1, 0, 1, 4, 5, 9] {
            expectError(.tooLarge, parsing: bytes, with: ClientHelloParser(maximumSize: limit))
        }
        expectError(.tooLarge, parsing: [UInt8]("GET "), with: ClientHelloParser(maximumSize: 0))
        expectError(.notTLS, parsing: [UInt8]("GET "), with: ClientHelloParser(maximumSize: 1))
    }

    @Test func largestDefaultHelloFitsInFourRecords() throws {
        let builder = paddedHello(handshakeLength: 1 << 14)
        let fourRecords = builder.records(recordSize: 1 << 12)
        #expect(fourRecords.count == ClientHelloParser().maximumSize)
        #expect(try parsedInfo(fourRecords)?.serverName == "example.com")
        expectError(.tooLarge, parsing: builder.records(recordSize: 4000))
    }

    @Test func helloLargerThanOneRecordNeedsARaisedLimit() throws {
        let builder = paddedHello(handshakeLength: 20_000)
        let stream = builder.records()
        #expect(stream.count == 20_000 + 2 * 5)
        expectError(.tooLarge, parsing: Array(stream.prefix(9)))

        let parser = ClientHelloParser(maximumSize: 32 * 1024)
        for end in stride(from: 0, to: stream.count, by: 997) {
            #expect(try parser.parse(stream.prefix(end)) == .needMoreData)
        }
        guard case .complete(let info, let consumed) = try parser.parse(stream) else {
            Issue.record("large hello did not parse")
            return
        }
        #expect(consumed == stream.count)
        #expect(info.alpnProtocols == ["h2", "http/1.1"])
    }
}
