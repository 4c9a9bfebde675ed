/// The outcome of parsing the bytes a client has sent so far.
///
/// The proxy calls the parser after every read until it gets ``complete(_:consumedBytes:)``;
/// anything that can never become a ClientHello is thrown as a ``ClientHelloError`` instead.
public enum ClientHelloParseResult: Equatable, Sendable {
    /// The bytes are a valid prefix of a ClientHello; read more and parse again.
    case needMoreData

    /// The whole ClientHello has arrived.
    ///
    /// `consumedBytes` is the length of the TLS records that carried it, counted from the start
    /// of the stream. Bytes after that (if any) were not examined.
    case complete(ClientHelloInfo, consumedBytes: Int)
}
