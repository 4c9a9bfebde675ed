@testable import Proxy
import Testing

@Suite struct IPAddressLiteralTests {
    @Test(arguments: ["0.0.0.0", "127.0.0.1", "255.255.255.255", "192.168.001.1"])
    func recognizesIPv4(_ text: String) {
        #expect(IPAddressLiteral.isIPv4([UInt8](text)[...]))
    }

    @Test(arguments: ["256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "1.2.3.1234", "", "1.2.3.-4"])
    func rejectsNonIPv4(_ text: String) {
        #expect(!IPAddressLiteral.isIPv4([UInt8](text)[...]))
    }

    @Test(arguments: [
        "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1::8", "2001:DB8::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
        "[fe80::1]", "1:2:3:4:5:6:7::",
    ])
    func recognizesIPv6(_ text: String) {
        #expect(IPAddressLiteral.isIPv6([UInt8](text)[...]))
    }

    @Test(arguments: [
        ":", ":::", "1:2", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "1.2.3.4::", "::1.2.3", ":1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8::", "[]", "[::1", "example.com",
    ])
    func rejectsNonIPv6(_ text: String) {
        #expect(!IPAddressLiteral.isIPv6([UInt8](text)[...]))
    }
}
