@testable import Proxy
import Testing

/// ClientHello body fields and the extensions block.
@Suite struct ClientHelloFieldTests {
    @Test func readsDefaultSyntheticHello() throws {
        let info = try parsedInfo(ClientHelloBuilder().records())
        #expect(info == ClientHelloInfo(serverName: "example.com", alpnProtocols: ["h2", "http/1.1"], legacyVersion: 0x0303, supportedVersions: [0x0304, 0x0303]))
    }

    @Test func acceptsHelloWithoutExtensionsBlock() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = nil
        #expect(try parsedInfo(builder.records()) == ClientHelloInfo(legacyVersion: 0x0303))
        builder.extensions = []
        #expect(try parsedInfo(builder.records()) == ClientHelloInfo(legacyVersion: 0x0303))
    }

    @Test func noSNIAndNoALPN() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = [ClientHelloBuilder.supportedVersions([0x0304])]
        let info = try parsedInfo(builder.records())
        #expect(info?.serverName == nil)
        #expect(info?.alpnProtocols == [])
        #expect(try parsedInfo(ClientHelloFixture.opensslNoSNI.bytes)?.serverName == nil)
        #expect(try parsedInfo(ClientHelloFixture.opensslNoSNI.bytes)?.alpnProtocols == [])
    }

    @Test func detectsEncryptedClientHello() throws {
        var builder = ClientHelloBuilder()
        builder.extensions?.append((0xfe0d, [0x00, 0x00, 0x01, 0x00, 0x01, 0x07]))
        #expect(try parsedInfo(builder.records())?.hasEncryptedClientHello == true)
    }

    @Test func skipsGREASEAndUnknownExtensions() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = [(0x0a0a, [])] + builder.extensions! + [(0x1234, [1, 2, 3]), (0xfafa, [0])]
        #expect(try parsedInfo(builder.records())?.serverName == "example.com")
    }

    @Test func keepsALPNOrderAndSkipsNonUTF8Names() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = [ClientHelloBuilder.alpnRaw([[UInt8]("http/1.1"), [0xFF, 0xFE], [UInt8]("h2"), [UInt8]("h3-ünï")])]
        #expect(try parsedInfo(builder.records())?.alpnProtocols == ["http/1.1", "h2", "h3-ünï"])
    }

    @Test func keepsSupportedVersionsIncludingGREASE() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = [ClientHelloBuilder.supportedVersions([0x7a7a, 0x0304, 0x0303])]
        #expect(try parsedInfo(builder.records())?.supportedVersions == [0x7a7a, 0x0304, 0x0303])
    }

    static let malformedFields: [(String, @Sendable (inout ClientHelloBuilder) -> Void)] = [
        ("session id of 33 bytes", { $0.sessionID = [UInt8](repeating: 1, count: 33) }),
        ("odd cipher_suites length", { $0.cipherSuites = [0x13, 0x01, 0x13] }),
        ("empty cipher_suites", { $0.cipherSuites = [] }),
        ("no compression methods", { $0.compressionMethods = [] }),
        ("extension longer than the block", { $0.rawExtensionsBlock = [0x00, 0x08, 0x00, 0x17, 0x00, 0x10, 0, 0, 0, 0] }),
        ("truncated extension header", { $0.rawExtensionsBlock = [0x00, 0x03, 0x00, 0x17, 0x00] }),
        ("extensions block longer than the hello", { $0.rawExtensionsBlock = [0x00, 0x64, 0x00, 0x17, 0x00, 0x00] }),
        ("bytes after the extensions block", { $0.rawExtensionsBlock = [0x00, 0x04, 0x00, 0x17, 0x00, 0x00, 0xEE] }),
        ("lone byte instead of extensions block", { $0.rawExtensionsBlock = [0x00] }),
        ("duplicate SNI extension", { $0.extensions! += [ClientHelloBuilder.serverName("example.org")] }),
        ("duplicate unknown extension", { $0.extensions! += [(0x0017, []), (0x0017, [])] }),
        ("server_name_list longer than the extension", { $0.extensions = [(0x0000, [0x00, 0x20, 0x00, 0x00, 0x01, 0x61])] }),
        ("host_name longer than the list", { $0.extensions = [(0x0000, [0x00, 0x04, 0x00, 0x00, 0x09, 0x61])] }),
        ("bytes after server_name_list", { $0.extensions = [(0x0000, [0x00, 0x04, 0x00, 0x00, 0x01, 0x61, 0x00])] }),
        ("empty server_name extension", { $0.extensions = [(0x0000, [])] }),
        ("empty server_name_list", { $0.extensions = [ClientHelloBuilder.serverNameList([])] }),
        ("two host_names", { $0.extensions = [ClientHelloBuilder.serverNameList([(0, [UInt8]("a.com")), (0, [UInt8]("b.com"))])] }),
        ("empty ALPN list", { $0.extensions = [ClientHelloBuilder.alpnRaw([])] }),
        ("empty ALPN protocol name", { $0.extensions = [ClientHelloBuilder.alpnRaw([[UInt8]("h2"), []])] }),
        ("ALPN name longer than the list", { $0.extensions = [(0x0010, [0x00, 0x03, 0x05, 0x68, 0x32])] }),
        ("odd supported_versions", { $0.extensions = [(0x002b, [0x03, 0x03, 0x04, 0x03])] }),
        ("empty supported_versions", { $0.extensions = [(0x002b, [0x00])] }),
    ]

    @Test(arguments: malformedFields)
    func rejectsMalformedField(_ name: String, _ mutate: @Sendable (inout ClientHelloBuilder) -> Void) {
        var builder = ClientHelloBuilder()
        mutate(&builder)
        expectError(.malformed, parsing: builder.records())
        expectError(.malformed, parsing: builder.records(recordSize: 7))
    }

    @Test func rejectsBadFieldBeforeTheRestArrives() throws {
        var builder = ClientHelloBuilder()
        builder.sessionID = [UInt8](repeating: 1, count: 33)
        let records = builder.records()
        // Record header, handshake header, version, random, session id length.
        let upToSessionIDLength = 5 + 4 + 2 + 32 + 1
        #expect(try ClientHelloParser().parse(records.prefix(upToSessionIDLength - 1)) == .needMoreData)
        expectError(.malformed, parsing: Array(records.prefix(upToSessionIDLength)))
    }
}
