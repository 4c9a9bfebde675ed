/// Peeks at the start of an intercepted TCP stream and reads its TLS ClientHello.
///
/// The proxy must know the SNI and ALPN before it decides whether to splice the connection or
/// terminate TLS, and it must not consume anything while deciding. So the parser is stateless:
/// it is handed every byte received so far, from the start of the stream, after each read, and
/// answers "need more", "here is the ClientHello", or throws as soon as the bytes can no longer
/// become one. It never traps, whatever the input.
public struct ClientHelloParser: Sendable {
    /// The most bytes of the stream the ClientHello's records may span.
    public let maximumSize: Int

    /// Creates a parser.
    ///
    /// The default admits the largest single-record ClientHello (2^14 bytes of handshake data)
    /// even when split across up to four records, which covers post-quantum key shares.
    ///
    /// - Parameter maximumSize: The bound on the bytes examined; a ClientHello whose records
    ///   would extend past it throws ``ClientHelloError/Code/tooLarge``. Negative values act as 0.
    public init(maximumSize: Int = 16 * 1024 + 5 * 4) {
        self.maximumSize = max(0, maximumSize)
    }

    /// Parses the ClientHello at the start of a stream.
    ///
    /// Call again with the longer prefix after every read until the result is
    /// ``ClientHelloParseResult/complete(_:consumedBytes:)``; the bytes are never consumed.
    ///
    /// - Parameter bytes: All bytes received on the connection so far, from its first byte.
    /// - Returns: ``ClientHelloParseResult/needMoreData`` for a valid but incomplete prefix,
    ///   otherwise the parsed ClientHello and the length of the records that carried it.
    /// - Throws: A ``ClientHelloError`` as soon as the prefix cannot start a ClientHello:
    ///   `.notTLS`, `.notHandshake`, `.notClientHello`, `.unsupportedVersion`, `.malformed`,
    ///   or `.tooLarge` when it would need more than ``maximumSize`` bytes.
    public func parse(_ bytes: some Collection<UInt8>) throws(ClientHelloError) -> ClientHelloParseResult {
        let message = try HandshakeMessage(reassembling: Array(bytes.prefix(maximumSize)), maximumSize: maximumSize)
        let info: ClientHelloInfo
        do {
            info = try ClientHelloFields.parse(message)
        } catch {
            switch error {
            case .needMoreData: return .needMoreData
            case .invalid(let error): throw error
            }
        }
        guard let consumedBytes = message.recordsEnd else { return .needMoreData }
        return .complete(info, consumedBytes: consumedBytes)
    }
}
