@testable import Proxy
import Testing

/// Real ClientHellos, whole, arriving byte by byte, and re-framed into records of other sizes.
@Suite struct RealClientHelloTests {
    let parser = ClientHelloParser()

    @Test(arguments: ClientHelloFixture.all)
    func parsesWholeHello(_ fixture: ClientHelloFixture) throws {
        let result = try parser.parse(fixture.bytes)
        #expect(result == .complete(fixture.expected, consumedBytes: fixture.bytes.count))
    }

    @Test(arguments: ClientHelloFixture.all)
    func everyStrictPrefixNeedsMoreData(_ fixture: ClientHelloFixture) throws {
        try expectNeedsMoreDataUntilComplete(fixture.bytes, expected: fixture.expected)
    }

    @Test(arguments: ClientHelloFixture.all, [1, 7, 100, 512])
    func parsesHelloRefragmented(_ fixture: ClientHelloFixture, recordSize: Int) throws {
        let stream = TLSRecords.refragment(fixture.bytes, recordSize: recordSize)
        try expectNeedsMoreDataUntilComplete(stream, expected: fixture.expected)
    }

    @Test(arguments: ClientHelloFixture.all)
    func ignoresBytesAfterTheHello(_ fixture: ClientHelloFixture) throws {
        // A TLS 1.3 middlebox-compatibility change_cipher_spec, then early application data.
        let stream = fixture.bytes + [0x14, 0x03, 0x03, 0x00, 0x01, 0x01] + [0x17, 0x03, 0x03, 0x00, 0x02, 0xAA, 0xBB]
        #expect(try parser.parse(stream) == .complete(fixture.expected, consumedBytes: fixture.bytes.count))
    }

    @Test func acceptsAnyCollectionType() throws {
        let fixture = ClientHelloFixture.curlHTTP2
        let expected = ClientHelloParseResult.complete(fixture.expected, consumedBytes: fixture.bytes.count)
        #expect(try parser.parse(fixture.bytes[...]) == expected)
        #expect(try parser.parse(fixture.bytes.lazy.map { $0 }) == expected)
        #expect(try parser.parse(ContiguousArray(fixture.bytes)) == expected)
    }

    /// Feeds `stream` one more byte at a time: every strict prefix must need more data, the whole
    /// stream must be the complete hello.
    private func expectNeedsMoreDataUntilComplete(_ stream: [UInt8], expected: ClientHelloInfo) throws {
        for length in 0..<stream.count {
            let result = try parser.parse(stream[..<length])
            guard result == .needMoreData else {
                Issue.record("prefix of \(length)/\(stream.count) bytes gave \(result)")
                return
            }
        }
        #expect(try parser.parse(stream) == .complete(expected, consumedBytes: stream.count))
    }
}
