@testable import Proxy
import Testing

/// SNI host_name validation and normalization.
@Suite struct ServerNameTests {
    private func serverName(_ hostName: [UInt8]) throws -> String? {
        var builder = ClientHelloBuilder()
        builder.extensions = [ClientHelloBuilder.serverNameList([(0, hostName)])]
        return try parsedInfo(builder.records())?.serverName
    }

    private func expectMalformed(_ hostName: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        var builder = ClientHelloBuilder()
        builder.extensions = [ClientHelloBuilder.serverNameList([(0, hostName)])]
        expectError(.malformed, parsing: builder.records(), sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ("api.openai.com", "api.openai.com"),
        ("API.OpenAI.Com", "api.openai.com"),
        ("api.openai.com.", "api.openai.com"),
        ("localhost", "localhost"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("_acme-challenge.my_host.example", "_acme-challenge.my_host.example"),
        ("0.example", "0.example"),
        (String(repeating: "a", count: 63) + ".com", String(repeating: "a", count: 63) + ".com"),
    ])
    func acceptsAndNormalizesHostNames(_ hostName: String, expected: String) throws {
        #expect(try serverName([UInt8](hostName)) == expected)
    }

    @Test func acceptsNamesUpTo253Bytes() throws {
        let name = [String](repeating: String(repeating: "a", count: 49), count: 5).joined(separator: ".") + ".abc"
        #expect(name.utf8.count == 253)
        #expect(try serverName([UInt8](name)) == name)
        #expect(try serverName([UInt8](name + ".")) == name)
        expectMalformed([UInt8]("a" + name))
    }

    @Test(arguments: ["127.0.0.1", "10.0.0.255", "1.2.3.4.", "::1", "2001:db8::8a2e:370:7334", "[::1]", "::ffff:192.0.2.1", "fe80:0:0:0:0:0:0:1"])
    func ipLiteralIsNoServerName(_ literal: String) throws {
        #expect(try serverName([UInt8](literal)) == nil)
    }

    @Test func realIPLiteralSNIIsNoServerName() throws {
        #expect(try parsedInfo(ClientHelloFixture.opensslIPLiteralSNI.bytes)?.serverName == nil)
    }

    @Test(arguments: [
        "api openai.com", "api..openai.com", ".api.com", ".", "", "..", "a..", "api.openai.com..",
        "bücher.example", "api\u{0}.com", "api\t.com", "api.com\r\n", "host:443", "a/b", "a*.com",
        String(repeating: "a", count: 64) + ".com", "[::1", "1:2:3:4:5:6:7:8:9",
    ])
    func rejectsInvalidHostNames(_ hostName: String) {
        expectMalformed([UInt8](hostName))
    }

    @Test func rejectsNonUTF8Bytes() {
        expectMalformed([0x61, 0xFF, 0x62])
    }

    @Test func skipsUnknownNameTypes() throws {
        var builder = ClientHelloBuilder()
        builder.extensions = [ClientHelloBuilder.serverNameList([(1, [0xFF, 0x00]), (0, [UInt8]("Example.com")), (7, [])])]
        #expect(try parsedInfo(builder.records())?.serverName == "example.com")
        builder.extensions = [ClientHelloBuilder.serverNameList([(1, [UInt8]("whatever"))])]
        #expect(try parsedInfo(builder.records())?.serverName == nil)
    }
}
