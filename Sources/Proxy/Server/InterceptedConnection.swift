import Foundation
import Identity
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
    /// Who opened the connection (uid, process), when attribution ran.
    var attribution: PeerAttribution?
    /// The verified identity the uid handed in over the control socket, if any.
    var principal: Principal?

    /// A record of this connection, pre-filled with its metadata.
    func makeRecord(kind: ExchangeRecord.Kind) -> ExchangeRecord {
        var record = ExchangeRecord(kind: kind, connectionID: id)
        record.clientAddress = clientAddress.map(Self.describe)
        record.originalDestination = Self.describe(originalDestination)
        record.sni = serverName
        record.provider = provider?.name
        record.alpn = alpn
        if let attribution {
            record.uid = attribution.uid
            record.principal = (principal ?? attribution.uid.map { uid in
                Principal.unix(uid: uid, userName: attribution.userName, host: ProcessInfo.processInfo.hostName)
            }).map(PrincipalSummary.init)
            record.process = attribution.process.map(ProcessSummary.init)
            record.attributionUnknown = attribution.unknown
        }
        return record
    }

    /// The client socket's tuple as sock_diag knows it: the client's address (v4-mapped addresses
    /// of the dual-stack listener as plain IPv4) to the original destination.
    var socketTuple: SocketTuple? {
        guard let client = clientAddress, let clientIP = client.ipAddress, let clientPort = client.port,
            let destinationIP = originalDestination.ipAddress, let destinationPort = originalDestination.port
        else { return nil }
        func plain(_ ip: String) -> String {
            ip.hasPrefix("::ffff:") && ip.dropFirst(7).contains(".") ? String(ip.dropFirst(7)) : ip
        }
        return SocketTuple(
            source: IPEndpoint(address: plain(clientIP), port: UInt16(clientPort)),
            destination: IPEndpoint(address: plain(destinationIP), port: UInt16(destinationPort)))
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
