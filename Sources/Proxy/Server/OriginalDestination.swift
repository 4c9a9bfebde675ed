import Foundation
import NIOCore

/// Recovers where a redirected connection was going, from the kernel's NAT table.
///
/// `REDIRECT` rewrites the destination to the daemon's port; conntrack keeps the original, which
/// `getsockopt(SO_ORIGINAL_DST)` returns for IPv4 and `getsockopt(IP6T_SO_ORIGINAL_DST)` for IPv6.
/// The call is chosen by the connection's real family: an IPv4 client accepted on a dual-stack
/// socket has a v4-mapped peer address and needs the IPv4 call.
enum OriginalDestination {
    /// `SO_ORIGINAL_DST` from `<linux/netfilter_ipv4.h>`.
    static let soOriginalDst: Int32 = 80
    /// `IP6T_SO_ORIGINAL_DST` from `<linux/netfilter_ipv6/ip6_tables.h>`.
    static let ip6tSoOriginalDst: Int32 = 80

    /// The original destination of `channel`'s connection.
    ///
    /// - Parameter channel: An accepted TCP channel (must be a socket channel).
    /// - Returns: The address the client connected to before the REDIRECT.
    /// - Throws: ``ProxyError`` with `.originalDestinationUnavailable` when the connection was not redirected.
    static func lookup(on channel: any Channel) -> EventLoopFuture<SocketAddress> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                ProxyError(.originalDestinationUnavailable, "the channel is not a socket; no original destination")
            )
        }
        let isIPv4 = channel.remoteAddress.map(isIPv4Connection) ?? true
        if isIPv4 {
            return provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_IP), name: SocketOptionName(soOriginalDst)
            ).flatMapThrowing { (raw: sockaddr_in) in
                SocketAddress(raw, host: "")
            }.flatMapErrorThrowing { error in
                throw ProxyError(
                    .originalDestinationUnavailable,
                    "SO_ORIGINAL_DST failed (\(error)); is the connection redirected by `chaperone rules install`?")
            }
        }
        return provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_IPV6), name: SocketOptionName(ip6tSoOriginalDst)
        ).flatMapThrowing { (raw: sockaddr_in6) in
            SocketAddress(raw, host: "")
        }.flatMapErrorThrowing { error in
            throw ProxyError(
                .originalDestinationUnavailable,
                "IP6T_SO_ORIGINAL_DST failed (\(error)); is the connection redirected by `chaperone rules install`?")
        }
    }

    /// Whether a peer address is IPv4, either plainly or as `::ffff:a.b.c.d` on a dual-stack socket.
    static func isIPv4Connection(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4: return true
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            return withUnsafeBytes(of: &raw) { bytes in
                bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
            }
        default: return false
        }
    }
}
