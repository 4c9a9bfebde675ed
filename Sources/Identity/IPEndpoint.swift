/// A numeric IP address and a TCP port.
public struct IPEndpoint: Hashable, Sendable {
    /// A numeric address: `"198.18.0.10"`, `"fd00::1"` or an IPv4-mapped `"::ffff:127.0.0.1"`.
    /// Brackets (`"[::1]"`) and an IPv6 zone (`"fe80::1%eth0"`) are accepted and ignored.
    public var address: String
    public var port: UInt16

    public init(address: String, port: UInt16) {
        self.address = address
        self.port = port
    }
}

/// A TCP connection as the CLIENT's socket sees it.
///
/// For a connection that netfilter REDIRECTed to the daemon, the client's socket still has
/// the original destination as its remote end: `source` is the client's address and port
/// (the daemon's accepted socket's remote end) and `destination` is the original destination
/// (`SO_ORIGINAL_DST`), not the daemon's listening address.
public struct SocketTuple: Hashable, Sendable {
    /// The client's end: its local address and port.
    public var source: IPEndpoint
    /// The client's remote end: the original destination.
    public var destination: IPEndpoint

    public init(source: IPEndpoint, destination: IPEndpoint) {
        self.source = source
        self.destination = destination
    }
}

extension IPEndpoint: CustomStringConvertible {
    public var description: String {
        self.address.contains(":") ? "[\(self.address)]:\(self.port)" : "\(self.address):\(self.port)"
    }
}

extension SocketTuple: CustomStringConvertible {
    public var description: String { "\(self.source) -> \(self.destination)" }
}
