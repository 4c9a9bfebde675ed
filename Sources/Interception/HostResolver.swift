import Foundation

/// Resolves provider host names to addresses with the system resolver (so `/etc/hosts` counts).
public enum HostResolver {
    /// The text `inet_ntop` wrote into `buffer` (up to its NUL).
    private static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The IPv4 and IPv6 addresses of `host`, de-duplicated, in resolver order.
    public static func addresses(of host: String) -> (ipv4: [String], ipv6: [String]) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, "443", &hints, &result) == 0, let first = result else { return ([], []) }
        defer { freeaddrinfo(first) }
        var v4: [String] = []
        var v6: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if info.pointee.ai_family == AF_INET {
                info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var address = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
                }
                let text = Self.string(buffer)
                if !v4.contains(text) { v4.append(text) }
            } else if info.pointee.ai_family == AF_INET6 {
                info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var address = sin6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
                }
                let text = Self.string(buffer)
                if !v6.contains(text) { v6.append(text) }
            }
            cursor = info.pointee.ai_next
        }
        return (v4, v6)
    }
}
