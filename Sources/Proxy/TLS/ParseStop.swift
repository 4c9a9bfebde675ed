/// Why parsing the bytes received so far stopped before producing a ClientHello.
///
/// The field parsers run on a prefix of the message, so a read can fail for two reasons that
/// must not be confused: the bytes are not here yet, or they can never be valid.
enum ParseStop: Error {
    /// The read lies inside its declared container but past the bytes received so far.
    case needMoreData
    /// The bytes received so far can never start a valid ClientHello.
    case invalid(ClientHelloError)
}
