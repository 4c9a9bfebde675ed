/// Ends TCP connections to provider addresses that were established before the redirect, so
/// nothing opened earlier keeps talking to a provider around the daemon.
///
/// Uses `ss -K` (sock_diag SOCK_DESTROY, `CONFIG_INET_DIAG_DESTROY`), which closes the local
/// socket with ECONNABORTED and works inside network namespaces. Connections forwarded from
/// containers have no local socket; for them `conntrack -D` (when installed) removes the
/// tracking entry of flows that were not redirected (reply source port still 443), so the next
/// packet is tracked afresh, meets the PREROUTING REDIRECT and is reset by the local stack.
struct EstablishedConnections {
    /// One established local TCP connection as `ss` reports it.
    struct Connection: Equatable {
        var source: String
        var sourcePort: Int
        var destination: String
        var destinationPort: Int
        var uid: UInt32
    }

    let runner: CommandRunner

    /// The established TCP connections whose remote port is `port`.
    func list(port: Int) throws(InterceptionError) -> [Connection] {
        let text = try runner.check("ss", ["-tnHe", "state", "established", "dport", "= :\(port)"])
        return text.split(separator: "\n").compactMap { Self.parse(String($0)) }
    }

    /// Parses one `ss -tnHe state established` line (`0 0 10.0.0.1:4000 1.2.3.4:443 uid:1000 ino:...`).
    static func parse(_ line: String) -> Connection? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 4, let local = endpoint(words[2]), let remote = endpoint(words[3]) else { return nil }
        let uid = words.first { $0.hasPrefix("uid:") }.flatMap { UInt32($0.dropFirst(4)) } ?? 0
        return Connection(source: local.0, sourcePort: local.1, destination: remote.0, destinationPort: remote.1, uid: uid)
    }

    static func endpoint(_ word: Substring) -> (String, Int)? {
        guard let colon = word.lastIndex(of: ":"), let port = Int(word[word.index(after: colon)...]) else { return nil }
        var host = word[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        if let percent = host.firstIndex(of: "%") { host = host[..<percent] }
        return (String(host), port)
    }

    /// Ends every established connection to one of `addresses` on `port`, except those of
    /// `exemptUID` (the daemon's own upstream connections).
    ///
    /// - Returns: The connections ended.
    @discardableResult
    func terminate(addresses: Set<String>, port: Int, exemptUID: UInt32) throws(InterceptionError) -> [Connection] {
        guard !addresses.isEmpty else { return [] }
        let victims = try list(port: port).filter { addresses.contains($0.destination) && $0.uid != exemptUID }
        for victim in victims {
            func literal(_ address: String) -> String { address.contains(":") ? "[\(address)]" : address }
            try runner.check(
                "ss",
                ["-K", "-tn", "state", "established", "src", literal(victim.source), "sport", "= :\(victim.sourcePort)",
                 "dst", literal(victim.destination), "dport", "= :\(victim.destinationPort)"])
        }
        if CommandRunner.locate("conntrack") != nil {
            for address in addresses {
                // Exit status 1 means "no entry matched"; that is fine.
                _ = try runner.run(
                    "conntrack",
                    ["-D", "-p", "tcp", "--orig-dst", address, "--dport", "\(port)", "--reply-port-src", "\(port)"])
            }
        }
        return victims
    }
}
