@testable import Proxy
import Testing

/// A ClientHello captured from a real client, and what the parser must read from it.
///
/// The captures live in `ClientHelloFixtures.swift` as hex so the tests never need a network,
/// a TLS library or a particular client version.
struct ClientHelloFixture: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: ClientHelloInfo
    /// The TLS records that carried the ClientHello, exactly as the client sent them.
    let bytes: [UInt8]

    init(name: String, expected: ClientHelloInfo, hex: String) {
        self.name = name
        self.expected = expected
        self.bytes = [UInt8](hex: hex)
    }

    var testDescription: String { name }
}
