import Foundation

/// Re-resolves the exact provider host names and adds their addresses to the ipsets, so an address
/// a provider moves to is redirected even when no client's DNS answer passed the snooper (a
/// resolver cache, a client with its own DNS), and the addresses resolved at install do not
/// expire while the daemon runs.
public struct AddressRefresher: Sendable {
    private let writer: any IPSetWriting
    /// The ipset timeout of refreshed entries, in seconds.
    public let entryTimeout: UInt32

    /// - Parameters:
    ///   - writer: Where addresses go (``IPSetNetlinkWriter`` in the daemon).
    ///   - entryTimeout: How long a refreshed entry lives unless refreshed again.
    public init(writer: any IPSetWriting, entryTimeout: UInt32 = 86_400) {
        self.writer = writer
        self.entryTimeout = entryTimeout
    }

    /// Resolves `hosts` and adds (or re-times) every address.
    ///
    /// - Returns: The addresses written.
    /// - Throws: ``InterceptionError`` when the kernel refuses an entry (sets missing: run `rules install`).
    @discardableResult
    public func refresh(hosts: [String]) throws(InterceptionError) -> [IPSetEntry] {
        var entries: [IPSetEntry] = []
        for host in hosts {
            let resolved = HostResolver.addresses(of: host)
            for text in resolved.ipv4 + resolved.ipv6 {
                guard let address = IPAddress(text: text) else { continue }
                let entry = IPSetEntry(address: address, timeout: entryTimeout)
                if !entries.contains(entry) { entries.append(entry) }
            }
        }
        if !entries.isEmpty { try writer.add(entries) }
        return entries
    }
}

extension IPAddress {
    /// Parses an IPv4 or IPv6 literal with `inet_pton`; nil when `text` is neither.
    public init?(text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }
}
