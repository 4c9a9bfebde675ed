/// Decides what to do with one DNS answer packet from NFQUEUE, without any I/O.
///
/// The verdict is always accept: the snooper learns from answers, it never blocks them. For an
/// answer about an intercepted name (the question matches the catalog, or a name in its CNAME
/// chain does) it reports every A/AAAA reached through the chain, to be added to the ipsets
/// before the verdict is given (so the client cannot connect before the address is redirected),
/// and, for UDP, strips HTTPS/SVCB records of those names so clients do not learn ECH keys or
/// alternative endpoints that would route around the redirect.
public struct DNSPacketHandler: Sendable {
    /// What happened to one packet.
    public enum Outcome: String, Sendable, Codable {
        /// Not UDP/TCP over IP, a fragment, or not from port 53.
        case notDNS
        /// IP, UDP/TCP or DNS lengths that do not add up, or a DNS query instead of an answer.
        case malformed
        /// A TCP segment that does not hold one whole DNS message (answers across segments).
        case partialTCP
        /// A DNS answer about names we do not intercept.
        case notIntercepted
        /// An answer about an intercepted name.
        case intercepted
    }

    /// The decision for one packet.
    public struct Decision: Sendable, Equatable {
        public var outcome: Outcome
        /// The packet to hand back instead of the original, when records were removed.
        public var replacement: [UInt8]?
        /// Addresses to add to the sets, each with its ipset timeout in seconds.
        public var additions: [IPSetEntry]
        /// HTTPS/SVCB records removed from the packet.
        public var removedServiceBindings: Int
        /// HTTPS/SVCB records about intercepted names left in place (DNS over TCP is never rewritten).
        public var keptServiceBindings: Int
    }

    public var catalog: ProviderCatalog
    /// The least time an address stays in a set, whatever the TTL (covers clients that cache
    /// longer than the TTL says, and short-TTL CDNs).
    public var minimumTimeout: UInt32
    /// The most time an address stays in a set from one answer (ipset's limit is 2147483 s).
    public var maximumTimeout: UInt32
    /// Whether HTTPS/SVCB records of intercepted names are removed from UDP answers.
    public var stripServiceBindings: Bool

    public init(
        catalog: ProviderCatalog, minimumTimeout: UInt32 = 60, maximumTimeout: UInt32 = 86_400,
        stripServiceBindings: Bool = true
    ) {
        self.catalog = catalog
        self.minimumTimeout = minimumTimeout
        self.maximumTimeout = max(minimumTimeout, min(maximumTimeout, 2_147_483))
        self.stripServiceBindings = stripServiceBindings
    }

    /// Examines one packet (starting at its IP header).
    public func handle(packet: [UInt8]) -> Decision {
        var decision = Decision(
            outcome: .notDNS, replacement: nil, additions: [], removedServiceBindings: 0, keptServiceBindings: 0)
        let datagram: IPDatagram
        do {
            datagram = try IPDatagram(packet)
        } catch {
            decision.outcome = error == .malformed ? .malformed : .notDNS
            return decision
        }
        guard datagram.sourcePort == 53 else { return decision }
        var dnsBytes: [UInt8]
        switch datagram.transport {
        case .udp:
            dnsBytes = Array(datagram.payload)
        case .tcp:
            let payload = datagram.payload
            // Pure ACKs and handshake segments carry nothing.
            guard !payload.isEmpty else { return decision }
            guard payload.count >= 2 else {
                decision.outcome = .partialTCP
                return decision
            }
            let length = Int(payload[payload.startIndex]) << 8 | Int(payload[payload.startIndex + 1])
            guard length == payload.count - 2 else {
                decision.outcome = .partialTCP
                return decision
            }
            dnsBytes = Array(payload.dropFirst(2))
        }
        guard let message = try? DNSMessage(parsing: dnsBytes), message.header.isResponse else {
            decision.outcome = .malformed
            return decision
        }
        let intercepted = interceptedNames(in: message)
        guard !intercepted.isEmpty else {
            decision.outcome = .notIntercepted
            return decision
        }
        decision.outcome = .intercepted
        var seen = Set<IPAddress>()
        for record in message.answers where intercepted[record.name] != nil {
            guard case .address(let address) = record.data, seen.insert(address).inserted,
                record.type == DNSRecordType.a || record.type == DNSRecordType.aaaa
            else { continue }
            let ttl = min(record.ttl, intercepted[record.name] ?? .max)
            decision.additions.append(
                IPSetEntry(address: address, timeout: min(max(ttl, minimumTimeout), maximumTimeout)))
        }
        func isInterceptedBinding(_ record: DNSMessage.ResourceRecord) -> Bool {
            guard record.type == DNSRecordType.https || record.type == DNSRecordType.svcb else { return false }
            let owner = record.name.withoutAttrleaf
            return intercepted[owner] != nil || catalog.provider(for: owner.description) != nil
        }
        let bindings = (message.answers + message.additionals).filter(isInterceptedBinding).count
        guard bindings > 0 else { return decision }
        guard stripServiceBindings, datagram.transport == .udp else {
            decision.keptServiceBindings = bindings
            return decision
        }
        var rewritten = message
        rewritten.answers.removeAll(where: isInterceptedBinding)
        rewritten.additionals.removeAll(where: isInterceptedBinding)
        decision.replacement = datagram.replacingUDPPayload(with: rewritten.encoded())
        decision.removedServiceBindings = bindings
        return decision
    }

    /// The names in the answer whose addresses are redirected, each with the smallest TTL of
    /// the CNAME links that led to it: the chain from each question, from the first name on it
    /// that the catalog intercepts.
    func interceptedNames(in message: DNSMessage) -> [DNSName: UInt32] {
        var names: [DNSName: UInt32] = [:]
        for question in message.questions {
            var matched = false
            for link in message.cnameChain(from: question.name) {
                if !matched, catalog.provider(for: link.name.description) != nil { matched = true }
                if matched { names[link.name] = min(names[link.name] ?? .max, link.ttl) }
            }
        }
        return names
    }
}
