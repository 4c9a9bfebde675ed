/// Walks a ClientHello's extensions block and reads the extensions the proxy cares about.
///
/// Unknown extensions (including GREASE) are skipped, but each must be well-formed and appear
/// only once (RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type").
enum ClientHelloExtensions {
    static let serverName: UInt16 = 0x0000
    static let applicationLayerProtocolNegotiation: UInt16 = 0x0010
    static let supportedVersions: UInt16 = 0x002b
    static let encryptedClientHello: UInt16 = 0xfe0d

    /// Reads every extension in the block into `info`.
    ///
    /// - Parameters:
    ///   - extensions: A reader confined to the extensions block.
    ///   - info: Receives the server name, ALPN list, supported versions and the ECH flag.
    /// - Throws: `.needMoreData` while the block is arriving; `.invalid(.malformed)` for a
    ///   truncated or duplicate extension or an invalid extension body.
    static func parse(_ extensions: inout ByteReader, into info: inout ClientHelloInfo) throws(ParseStop) {
        var seen = Set<UInt16>()
        while !extensions.isAtEnd {
            let type = try extensions.readUInt16("extension type")
            let name = "extension 0x\(String(type, radix: 16))"
            var data = try extensions.readVector(lengthBytes: 2, name)
            guard seen.insert(type).inserted else {
                throw .invalid(.malformed("duplicate \(name)"))
            }
            switch type {
            case serverName:
                info.serverName = try ServerNameExtension.parse(&data)
            case applicationLayerProtocolNegotiation:
                info.alpnProtocols = try ALPNExtension.parse(&data)
            case supportedVersions:
                info.supportedVersions = try SupportedVersionsExtension.parse(&data)
            case encryptedClientHello:
                info.hasEncryptedClientHello = true
            default:
                break
            }
        }
    }
}
