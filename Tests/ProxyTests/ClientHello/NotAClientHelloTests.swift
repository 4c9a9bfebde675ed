@testable import Proxy
import Testing

/// Streams that are provably not a TLS ClientHello must be rejected from their first bytes.
@Suite struct NotAClientHelloTests {
    static let otherProtocols: [(String, [UInt8])] = [
        ("HTTP/1.1 request", [UInt8]("GET / HTTP/1.1\r\nHost: api.openai.com\r\n\r\n")),
        ("HTTP/2 preface", [UInt8]("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")),
        ("SSH banner", [UInt8]("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")),
        ("all zeros", [UInt8](repeating: 0, count: 64)),
        ("SMTP-ish", [UInt8]("EHLO example.com\r\n")),
    ]

    @Test(arguments: otherProtocols)
    func rejectsOtherProtocolsAtTheFirstByte(_ name: String, bytes: [UInt8]) {
        expectError(.notTLS, parsing: bytes)
        expectError(.notTLS, parsing: Array(bytes.prefix(1)))
    }

    @Test func emptyStreamNeedsMoreData() throws {
        #expect(try ClientHelloParser().parse([UInt8]()) == .needMoreData)
    }

    @Test(arguments: [20, 21, 23, 24] as [UInt8])
    func rejectsOtherRecordTypes(_ type: UInt8) {
        expectError(.notHandshake, parsing: [type, 0x03, 0x03, 0x00, 0x10] + [UInt8](repeating: 0xAB, count: 16))
        expectError(.notHandshake, parsing: [type])
    }

    @Test func rejectsRecordVersionWithMajorOtherThan3() throws {
        expectError(.notTLS, parsing: [0x16, 0x02])
        expectError(.notTLS, parsing: [0x16, 0x04, 0x01, 0x00, 0x10])
        #expect(try ClientHelloParser().parse([0x16, 0x03]) == .needMoreData)
    }

    @Test func rejectsServerHello() {
        var builder = ClientHelloBuilder()
        builder.handshakeType = 2
        expectError(.notClientHello, parsing: builder.records())
        expectError(.notClientHello, parsing: Array(builder.records().prefix(6)))
    }

    @Test func rejectsSSLv2CompatibleHello() throws {
        // An SSLv2-framed CLIENT-HELLO offering TLS 1.0, as sent by very old clients.
        let hello: [UInt8] = [0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10]
            + [UInt8](repeating: 0x39, count: 21) + [UInt8](repeating: 0x5A, count: 16)
        expectError(.unsupportedVersion, parsing: hello)
        expectError(.unsupportedVersion, parsing: Array(hello.prefix(3)))
        #expect(try ClientHelloParser().parse(hello.prefix(2)) == .needMoreData)
        expectError(.notTLS, parsing: [0x80, 0x2e, 0x02])
    }

    @Test func rejectsNonTLS3LegacyVersion() {
        var builder = ClientHelloBuilder()
        builder.legacyVersion = 0x0200
        expectError(.unsupportedVersion, parsing: builder.records())
    }
}
