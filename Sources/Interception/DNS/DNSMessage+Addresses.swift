extension DNSMessage {
    /// One address an answer gives for a name, with the TTL it may be cached for.
    public struct ResolvedAddress: Sendable, Hashable {
        public var name: DNSName
        public var address: IPAddress
        /// The smallest TTL along the CNAME chain that led to the address.
        public var ttl: UInt32
    }

    /// The names reached from `name` through CNAME records in the answer section, in chain order,
    /// starting with `name`, each with the smallest TTL on the way. Bounded by the answer count,
    /// so a CNAME loop ends.
    public func cnameChain(from name: DNSName) -> [(name: DNSName, ttl: UInt32)] {
        var chain: [(name: DNSName, ttl: UInt32)] = [(name, UInt32.max)]
        var seen: Set<DNSName> = [name]
        while chain.count <= answers.count {
            let current = chain[chain.count - 1]
            guard
                let next = answers.first(where: { record in
                    if case .cname = record.data, record.name == current.name { return true }
                    return false
                }), case .cname(let target) = next.data, seen.insert(target).inserted
            else { break }
            chain.append((target, min(current.ttl, next.ttl)))
        }
        return chain
    }

    /// The A and AAAA answers for `name` or any name its CNAME chain reaches.
    public func addresses(following name: DNSName) -> [ResolvedAddress] {
        var result: [ResolvedAddress] = []
        for link in cnameChain(from: name) {
            for record in answers where record.name == link.name {
                if case .address(let address) = record.data,
                    record.type == DNSRecordType.a || record.type == DNSRecordType.aaaa
                {
                    result.append(.init(name: link.name, address: address, ttl: min(link.ttl, record.ttl)))
                }
            }
        }
        return result
    }
}
