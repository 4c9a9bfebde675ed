import Interception
import NIOCore

/// What is known about one accepted connection once its ClientHello has been read.
struct InterceptedConnection: Sendable {
    /// A short random id that ties log lines and records together.
    let id: String
    /// The client's address as the daemon saw it.
    let clientAddress: SocketAddress?
    /// Where the client was going before the REDIRECT.
    let originalDestination: SocketAddress
    /// The SNI host name (lower case).
    let serverName: String?
    /// The provider the name belongs to, when intercepted.
    let provider: Provider?
    /// The ALPN protocol negotiated with the client.
    var alpn: String?

    /// A record of this connection, pre-filled with its metadata.
    func makeRecord(kind: ExchangeRecord.Kind) -> ExchangeRecord {
        var record = ExchangeRecord(kind: kind, connectionID: id)
        record.clientAddress = clientAddress.map(Self.describe)
        record.originalDestination = Self.describe(originalDestination)
        record.sni = serverName
        record.provider = provider?.name
        record.alpn = alpn
        return record
    }

    /// `1.2.3.4:443` or `[fd00::1]:443`, with v4-mapped addresses shown as IPv4.
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        if ip.hasPrefix("::ffff:"), ip.dropFirst(7).contains(".") { return "\(ip.dropFirst(7)):\(port)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    static func makeID() -> String {
        String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
    }
}
