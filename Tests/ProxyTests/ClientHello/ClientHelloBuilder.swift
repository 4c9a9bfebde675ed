/// Builds synthetic ClientHellos field by field, to test one malformation at a time.
///
/// Defaults describe a plausible TLS 1.3 hello for `example.com` offering `h2` and `http/1.1`.
struct ClientHelloBuilder {
    var recordVersion: [UInt8] = [3, 1]
    var handshakeType: UInt8 = 1
    var legacyVersion = 0x0303
    var sessionID = [UInt8](repeating: 0x11, count: 32)
    var cipherSuites: [UInt8] = [0x13, 0x01, 0x13, 0x02]
    var compressionMethods: [UInt8] = [0]
    /// The extensions as (type, body) pairs; `nil` omits the extensions block altogether.
    var extensions: [(type: Int, body: [UInt8])]? = [
        serverName("example.com"), alpn(["h2", "http/1.1"]), supportedVersions([0x0304, 0x0303]),
    ]
    /// If set, replaces the whole encoded extensions block (length prefix included).
    var rawExtensionsBlock: [UInt8]?

    /// The ClientHello body (everything after the 4-byte handshake header).
    var body: [UInt8] {
        var body = [UInt8](bigEndian: legacyVersion, byteCount: 2) + [UInt8](repeating: 0x42, count: 32)
        body += sessionID.lengthPrefixed(1) + cipherSuites.lengthPrefixed(2) + compressionMethods.lengthPrefixed(1)
        if let rawExtensionsBlock {
            body += rawExtensionsBlock
        } else if let extensions {
            body += extensions.flatMap { [UInt8](bigEndian: $0.type, byteCount: 2) + $0.body.lengthPrefixed(2) }.lengthPrefixed(2)
        }
        return body
    }

    /// The handshake message: type, 24-bit length, body.
    var handshake: [UInt8] {
        [handshakeType] + body.lengthPrefixed(3)
    }

    /// The handshake message framed in records of at most `recordSize` bytes.
    ///
    /// - Parameter recordSize: The largest record payload.
    func records(recordSize: Int = 1 << 14) -> [UInt8] {
        TLSRecords.frame(handshake, recordSize: recordSize, version: recordVersion)
    }

    /// A server_name extension with one `host_name`.
    static func serverName(_ hostName: String) -> (type: Int, body: [UInt8]) {
        serverNameList([(0, [UInt8](hostName))])
    }

    /// A server_name extension with arbitrary (name_type, name) entries.
    static func serverNameList(_ entries: [(type: UInt8, name: [UInt8])]) -> (type: Int, body: [UInt8]) {
        (0x0000, entries.flatMap { [$0.type] + $0.name.lengthPrefixed(2) }.lengthPrefixed(2))
    }

    /// An ALPN extension with the given protocol names.
    static func alpn(_ names: [String]) -> (type: Int, body: [UInt8]) {
        alpnRaw(names.map { [UInt8]($0) })
    }

    /// An ALPN extension with raw protocol name bytes.
    static func alpnRaw(_ names: [[UInt8]]) -> (type: Int, body: [UInt8]) {
        (0x0010, names.flatMap { $0.lengthPrefixed(1) }.lengthPrefixed(2))
    }

    /// A supported_versions extension.
    static func supportedVersions(_ versions: [Int]) -> (type: Int, body: [UInt8]) {
        (0x002b, versions.flatMap { [UInt8](bigEndian: $0, byteCount: 2) }.lengthPrefixed(1))
    }
}
