/// What the proxy needs from a ClientHello.
///
/// The proxy peeks at the first flight of an intercepted connection to decide whether to
/// splice the bytes through untouched or to terminate TLS itself; these are the fields that
/// decision depends on. Everything else in the ClientHello is validated but not kept.
public struct ClientHelloInfo: Equatable, Sendable {
    /// The `host_name` from the server_name extension, lowercased, without a trailing dot.
    ///
    /// `nil` when the extension is absent, and also when the client put an IP literal there
    /// (RFC 6066 forbids it, but real clients do it, e.g. `openssl s_client -servername 127.0.0.1`).
    public var serverName: String?

    /// The ALPN protocol names in the client's order; `[]` when the extension is absent.
    /// Names that are not valid UTF-8 are left out.
    public var alpnProtocols: [String]

    /// The `legacy_version` (TLS 1.2 `client_version`) field, e.g. `0x0303`.
    public var legacyVersion: UInt16

    /// The versions from the supported_versions extension, in the client's order, including any
    /// GREASE values; `[]` when the extension is absent (a TLS 1.2-or-older client).
    public var supportedVersions: [UInt16]

    /// Whether the encrypted_client_hello extension (`0xfe0d`) is present. When it is, the real
    /// server name is encrypted and ``serverName`` is the ECH provider's public name.
    public var hasEncryptedClientHello: Bool

    /// Creates a summary of a ClientHello.
    ///
    /// Used by the parser and by tests that spell out what they expect.
    ///
    /// - Parameters:
    ///   - serverName: The validated, lowercased SNI host name, or `nil`.
    ///   - alpnProtocols: The ALPN protocol names in the client's order.
    ///   - legacyVersion: The `legacy_version` field.
    ///   - supportedVersions: The supported_versions extension's list.
    ///   - hasEncryptedClientHello: Whether the ECH extension is present.
    public init(
        serverName: String? = nil,
        alpnProtocols: [String] = [],
        legacyVersion: UInt16,
        supportedVersions: [UInt16] = [],
        hasEncryptedClientHello: Bool = false
    ) {
        self.serverName = serverName
        self.alpnProtocols = alpnProtocols
        self.legacyVersion = legacyVersion
        self.supportedVersions = supportedVersions
        self.hasEncryptedClientHello = hasEncryptedClientHello
    }
}
