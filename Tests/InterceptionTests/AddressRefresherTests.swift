import Testing

@testable import Interception

/// Records what would go to the kernel.
private final class RecordingWriter: IPSetWriting, @unchecked Sendable {
    // @unchecked: only touched from the test's own task.
    var written: [IPSetEntry] = []
    func add(_ entries: [IPSetEntry]) throws(InterceptionError) { written += entries }
}

@Suite("Address refresh")
struct AddressRefresherTests {
    @Test("IP literals parse to the bytes the ipset netlink message carries", arguments: [
        ("198.18.0.10", [198, 18, 0, 10] as [UInt8]),
        ("fd00::10", [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10] as [UInt8]),
    ])
    func literals(text: String, bytes: [UInt8]) {
        #expect(IPAddress(text: text)?.bytes == bytes)
        #expect(IPAddress(text: text)?.description == text)
    }

    @Test("names and garbage are not addresses")
    func notLiterals() {
        #expect(IPAddress(text: "api.openai.com") == nil)
        #expect(IPAddress(text: "1.2.3") == nil)
        #expect(IPAddress(text: "") == nil)
    }

    @Test("resolved addresses are written once each, with the refresh timeout; nothing for a name that does not resolve")
    func refresh() throws {
        let writer = RecordingWriter()
        let refresher = AddressRefresher(writer: writer, entryTimeout: 600)
        let entries = try refresher.refresh(hosts: ["localhost", "localhost", "does-not-resolve.invalid"])
        #expect(!entries.isEmpty)
        #expect(entries.allSatisfy { $0.timeout == 600 })
        #expect(Set(entries).count == entries.count)
        #expect(writer.written == entries)
        #expect(entries.contains { $0.address.description == "127.0.0.1" })
    }
}
