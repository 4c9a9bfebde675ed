import Foundation
public import Logging

/// Installs, removes and inspects Chaperone's netfilter rules and ipsets, IPv4 and IPv6 alike.
///
/// Install is idempotent: the sets are created with `-exist` and refilled with `ipset restore
/// -exist`, each table's chains are refilled atomically by `iptables-restore --noflush`, and jumps
/// are added only when missing, so installing twice leaves what installing once does. Uninstall
/// removes exactly our jumps, chains and sets; the host's other rules are never touched.
public struct RuleInstaller: Sendable {
    /// What `status` reports (`chaperone rules status --json`).
    public struct Status: Codable, Sendable, Equatable {
        public struct FamilyStatus: Codable, Sendable, Equatable {
            /// Every one of our chains exists.
            public var chainPresent: Bool
            /// Every jump from a built-in chain to ours exists.
            public var jumpPresent: Bool
            /// Our chains that exist, as `table/CHAIN`.
            public var chains: [String]
            /// Jumps that are missing, as `table/BUILTIN/CHAIN`.
            public var missingJumps: [String]
            /// The set exists.
            public var setPresent: Bool
            /// Entries in the set (each with its own timeout).
            public var setEntries: Int
            /// The addresses currently redirected (the set's members).
            public var redirectedAddresses: [String]
            /// The DNS snooping NFQUEUE rules are in place.
            public var queueRulePresent: Bool

            enum CodingKeys: String, CodingKey {
                case chainPresent = "chain_present"
                case jumpPresent = "jump_present"
                case chains
                case missingJumps = "missing_jumps"
                case setPresent = "set_present"
                case setEntries = "set_entries"
                case redirectedAddresses = "redirected_addresses"
                case queueRulePresent = "queue_rule_present"
            }

            /// Chains, jumps and set all in place: this family's provider traffic is redirected.
            public var rulesInPlace: Bool { chainPresent && jumpPresent && setPresent }
        }
        public var ipv4: FamilyStatus
        public var ipv6: FamilyStatus?
        public var daemonPort: Int
        public var daemonAnswers: Bool
        /// Rules in place for every family, at least one provider address known, and the daemon listening.
        public var protected: Bool

        enum CodingKeys: String, CodingKey {
            case ipv4, ipv6, protected
            case daemonPort = "daemon_port"
            case daemonAnswers = "daemon_answers"
        }
    }

    private let runner: CommandRunner
    private let logger: Logger

    public init(runner: CommandRunner = CommandRunner(), logger: Logger) {
        self.runner = runner
        self.logger = logger
    }

    /// Resolves `hosts`, puts their addresses in the sets and installs the complete rule set.
    ///
    /// Established connections to set addresses that were not redirected before this install
    /// (all of them on a first install, new addresses on a later one) are ended, except the
    /// exempt user's.
    ///
    /// - Parameters:
    ///   - hosts: Exact host names to resolve (wildcards are learnt by the DNS snooper).
    ///   - daemonPort: The daemon's listening port.
    ///   - exemptUser: The daemon's user, whose traffic is not redirected.
    ///   - bridgeInterfaces: Container bridges whose forwarded TCP/443 is redirected too.
    ///   - queueNumber: The DNS snooper's NFQUEUE; nil installs no DNS rule.
    ///   - queueBypass: Let DNS answers through when no snooper listens (`dns_queue_bypass`).
    ///   - installTimeout: Seconds resolved addresses stay in the sets.
    ///   - terminateEstablished: End connections that predate the redirect.
    /// - Returns: The rule sets applied.
    /// - Throws: ``InterceptionError``.
    @discardableResult
    public func install(
        hosts: [String], daemonPort: Int, exemptUser: String,
        bridgeInterfaces: [String] = RedirectRuleSet.defaultBridgeInterfaces, queueNumber: UInt16? = 0,
        queueBypass: Bool = true, installTimeout: UInt32 = 604_800, terminateEstablished: Bool = true
    ) throws(InterceptionError) -> [RedirectRuleSet] {
        guard let user = getpwnam(exemptUser) else {
            throw InterceptionError(
                .unknownUser,
                "the daemon's user '\(exemptUser)' does not exist; create it (useradd --system --no-create-home chaperone) or set exempt_user"
            )
        }
        let uid = user.pointee.pw_uid
        var v4: [String] = []
        var v6: [String] = []
        var unresolved: [String] = []
        for host in hosts {
            let resolved = HostResolver.addresses(of: host)
            if resolved.ipv4.isEmpty && resolved.ipv6.isEmpty { unresolved.append(host) }
            v4 += resolved.ipv4.filter { !v4.contains($0) }
            v6 += resolved.ipv6.filter { !v6.contains($0) }
        }
        if !unresolved.isEmpty {
            logger.notice(
                "some provider hosts do not resolve and are redirected only once the DNS snooper sees them",
                metadata: ["hosts": "\(unresolved.joined(separator: ","))"])
        }
        if !hosts.isEmpty, v4.isEmpty, v6.isEmpty, queueNumber == nil {
            throw InterceptionError(
                .nothingToRedirect,
                "none of the \(hosts.count) provider hosts resolved and DNS snooping is off; check DNS (or /etc/hosts) and run `chaperone rules install` again")
        }
        let ipsets = IPSetControl(runner: runner)
        var applied: [RedirectRuleSet] = []
        for (family, addresses) in [(RedirectRuleSet.Family.ipv4, v4), (.ipv6, v6)] {
            if family == .ipv6, !Self.ipv6Available { continue }
            let set = RedirectRuleSet(
                family: family, addresses: addresses, daemonPort: daemonPort, exemptUID: uid,
                bridgeInterfaces: bridgeInterfaces, queueNumber: queueNumber, queueBypass: queueBypass,
                installTimeout: installTimeout)
            try runner.check("ipset", set.setCreateArguments)
            let before = Set(try ipsets.members(family.setName))
            if !addresses.isEmpty {
                try runner.check("ipset", ["restore", "-exist"], input: set.setRestoreInput)
            }
            let present = try presentRules(family)
            let missing = Set(set.jumps).subtracting(present.jumps)
            let wasRedirecting = !missing.contains("nat/OUTPUT/\(RedirectRuleSet.outputChain)")
            try runner.check(family.restoreCommand, ["--noflush"], input: set.restoreInput(missingJumps: missing))
            if terminateEstablished {
                // Connections to addresses already in the set were redirected when they started.
                let all = Set(try ipsets.members(family.setName))
                let exposed = wasRedirecting ? all.subtracting(before) : all
                let ended = try EstablishedConnections(runner: runner).terminate(
                    addresses: exposed, port: set.interceptedPort, exemptUID: uid)
                if !ended.isEmpty {
                    logger.notice(
                        "ended connections established before the redirect",
                        metadata: ["family": "\(family.rawValue)", "count": "\(ended.count)"])
                }
            }
            applied.append(set)
        }
        return applied
    }

    /// Removes our jumps, chains and sets for both families; a no-op where they are absent.
    public func uninstall() throws(InterceptionError) {
        for family in RedirectRuleSet.Family.allCases {
            if family == .ipv6, !Self.ipv6Available { continue }
            let present = try presentRules(family)
            let input = RedirectRuleSet.removalInput(presentChains: present.chains, presentJumps: present.jumps)
            if !input.isEmpty {
                try runner.check(family.restoreCommand, ["--noflush"], input: input)
            }
            // The set can go only once no rule references it.
            try IPSetControl(runner: runner).destroy(family.setName)
        }
    }

    /// What is installed, and whether the daemon answers on `daemonPort`.
    public func status(daemonPort: Int, queueNumber: UInt16? = 0) throws(InterceptionError) -> Status {
        let v4 = try familyStatus(.ipv4, queueNumber: queueNumber)
        let v6 = Self.ipv6Available ? try familyStatus(.ipv6, queueNumber: queueNumber) : nil
        let answers = Self.portAnswers(daemonPort)
        let families = [v4] + (v6.map { [$0] } ?? [])
        let rulesInPlace = families.allSatisfy(\.rulesInPlace)
        let known = families.reduce(0) { $0 + $1.setEntries } > 0
        return Status(
            ipv4: v4, ipv6: v6, daemonPort: daemonPort, daemonAnswers: answers,
            protected: rulesInPlace && known && answers)
    }

    private func familyStatus(_ family: RedirectRuleSet.Family, queueNumber: UInt16?) throws(InterceptionError)
        -> Status.FamilyStatus
    {
        let present = try presentRules(family)
        let expected = RedirectRuleSet(
            family: family, addresses: [], daemonPort: 0, exemptUID: 0, queueNumber: queueNumber)
        let wantedChains = expected.chains.map { "\($0.table)/\($0.name)" }
        let ipsets = IPSetControl(runner: runner)
        let size = try ipsets.size(family.setName)
        var queueRule = false
        if queueNumber != nil, present.chains.contains("mangle/\(RedirectRuleSet.dnsChain)") {
            let rules = try runner.check(family.command, ["-w", "-t", "mangle", "-S", RedirectRuleSet.dnsChain])
            queueRule = rules.contains("NFQUEUE") && Set(expected.jumps).subtracting(present.jumps).allSatisfy {
                !$0.hasSuffix(RedirectRuleSet.dnsChain)
            }
        }
        let missing = Set(expected.jumps).subtracting(present.jumps).sorted()
        return .init(
            chainPresent: wantedChains.allSatisfy(present.chains.contains), jumpPresent: missing.isEmpty,
            chains: present.chains.sorted(), missingJumps: missing, setPresent: size != nil, setEntries: size ?? 0,
            redirectedAddresses: try ipsets.members(family.setName), queueRulePresent: queueRule)
    }

    /// Our chains and jumps as `iptables-save` shows them, for each table we use.
    private func presentRules(_ family: RedirectRuleSet.Family) throws(InterceptionError)
        -> (chains: Set<String>, jumps: [String])
    {
        var text = ""
        for table in RedirectRuleSet.tables {
            text += try runner.check(family.saveCommand, ["-t", table])
        }
        return RedirectRuleSet.parseSave(text)
    }

    static var ipv6Available: Bool {
        FileManager.default.fileExists(atPath: "/proc/net/if_inet6")
    }

    /// Whether something accepts TCP connections on loopback `port`.
    static func portAnswers(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
