/// Parses the body of a ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
///
/// Every field is checked, even the ones the proxy ignores, so that garbage that merely starts
/// with `0x16 0x03` is rejected rather than spliced to a server as if it were TLS.
enum ClientHelloFields {
    /// Parses as much of the ClientHello as has arrived.
    ///
    /// - Parameter message: The reassembled handshake message, possibly incomplete.
    /// - Returns: The fields the proxy needs, once every declared byte has been read.
    /// - Throws: `.needMoreData` if the message is an incomplete but valid prefix;
    ///   `.invalid` with `.malformed` or `.unsupportedVersion` otherwise.
    static func parse(_ message: HandshakeMessage) throws(ParseStop) -> ClientHelloInfo {
        guard let end = message.declaredEnd else { throw .needMoreData }
        var body = ByteReader(message.bytes, from: 4, to: end)

        let legacyVersion = try body.readUInt16("legacy_version")
        guard legacyVersion >> 8 == 3 else {
            throw .invalid(.unsupportedVersion("ClientHello legacy_version is 0x\(String(legacyVersion, radix: 16)), not 3.x"))
        }
        _ = try body.readBytes(32, "random")
        let sessionID = try body.readVector(lengthBytes: 1, "legacy_session_id")
        guard sessionID.remaining <= 32 else {
            throw .invalid(.malformed("legacy_session_id is \(sessionID.remaining) bytes, more than 32"))
        }
        let cipherSuites = try body.readVector(lengthBytes: 2, "cipher_suites")
        guard cipherSuites.remaining >= 2, cipherSuites.remaining % 2 == 0 else {
            throw .invalid(.malformed("cipher_suites is \(cipherSuites.remaining) bytes, not a non-empty list of 2-byte suites"))
        }
        let compressionMethods = try body.readVector(lengthBytes: 1, "legacy_compression_methods")
        guard compressionMethods.remaining >= 1 else {
            throw .invalid(.malformed("legacy_compression_methods is empty"))
        }

        var info = ClientHelloInfo(legacyVersion: legacyVersion)
        guard !body.isAtEnd else { return info }  // Pre-TLS 1.3 hellos may omit extensions entirely.
        var extensions = try body.readVector(lengthBytes: 2, "extensions")
        try body.expectEnd(of: "ClientHello")
        try ClientHelloExtensions.parse(&extensions, into: &info)
        return info
    }
}
