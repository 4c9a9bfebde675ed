#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An address in network byte order, as sock_diag carries it: 4 bytes for IPv4 (an IPv4-mapped
/// IPv6 address is folded to its IPv4 form), 16 bytes for IPv6.
struct RawAddress: Hashable, Sendable {
    var bytes: [UInt8]

    var isIPv4: Bool { self.bytes.count == 4 }

    /// Folds `::ffff:a.b.c.d` to `a.b.c.d`; a dual-stack socket shows IPv4 peers that way.
    init(normalizing bytes: [UInt8]) {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            self.bytes = Array(bytes[12..<16])
        } else {
            self.bytes = bytes
        }
    }

    /// The address as the four big-endian 32-bit words of `inet_diag_sockid.idiag_src/dst`.
    var diagWords: (UInt32, UInt32, UInt32, UInt32) {
        var words: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            raw.copyBytes(from: self.bytes)
        }
        return words
    }

    /// Reads `idiag_src`/`idiag_dst` of a reply for a socket of `family`.
    init(diagWords words: (UInt32, UInt32, UInt32, UInt32), family: UInt8) {
        let all = withUnsafeBytes(of: words) { Array($0) }
        self.init(normalizing: Int32(family) == AF_INET ? Array(all[0..<4]) : all)
    }
}

extension IPEndpoint {
    /// Parses ``address`` with `inet_pton`.
    /// - Throws: `IdentityError.Code.invalidAddress` when it is not a numeric address.
    func rawAddress() throws(IdentityError) -> RawAddress {
        var text = Substring(self.address)
        if text.first == "[", text.last == "]" {
            text = text.dropFirst().dropLast()
        }
        if let zone = text.firstIndex(of: "%") {
            text = text[..<zone]
        }
        let host = String(text)
        if host.contains(":") {
            var in6 = in6_addr()
            if inet_pton(AF_INET6, host, &in6) == 1 {
                return RawAddress(normalizing: withUnsafeBytes(of: in6) { Array($0) })
            }
        } else {
            var in4 = in_addr()
            if inet_pton(AF_INET, host, &in4) == 1 {
                return RawAddress(normalizing: withUnsafeBytes(of: in4) { Array($0) })
            }
        }
        throw IdentityError(
            code: .invalidAddress,
            message:
                "'\(self.address)' is not a numeric IPv4 or IPv6 address; pass the address the socket reports, not a host name"
        )
    }
}
