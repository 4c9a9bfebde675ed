import Foundation
public import Logging

/// Installs, removes and inspects the redirect rules, for IPv4 and IPv6 alike.
///
/// Install is idempotent (the chain is refilled atomically by `iptables-restore --noflush`, the jump
/// added only when missing) and uninstall removes exactly the chain and the jump, so the host's
/// other rules are never touched.
public struct RuleInstaller: Sendable {
    /// What `status` reports.
    public struct Status: Codable, Sendable, Equatable {
        public struct FamilyStatus: Codable, Sendable, Equatable {
            public var chainPresent: Bool
            public var jumpPresent: Bool
            public var redirectedAddresses: [String]
            enum CodingKeys: String, CodingKey {
                case chainPresent = "chain_present"
                case jumpPresent = "jump_present"
                case redirectedAddresses = "redirected_addresses"
            }
        }
        public var ipv4: FamilyStatus
        public var ipv6: FamilyStatus?
        public var daemonPort: Int
        public var daemonAnswers: Bool
        /// Rules in place for at least one family and the daemon listening.
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

    /// Resolves `hosts` and installs the redirect for their addresses.
    ///
    /// - Parameters:
    ///   - hosts: Exact host names to resolve (wildcards are left to the DNS snooper).
    ///   - daemonPort: The daemon's listening port.
    ///   - exemptUser: The daemon's user, whose traffic is not redirected.
    /// - Returns: The rule sets applied.
    /// - Throws: ``InterceptionError``.
    @discardableResult
    public func install(hosts: [String], daemonPort: Int, exemptUser: String) throws(InterceptionError) -> [RedirectRuleSet] {
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
                "some provider hosts do not resolve and are not redirected until they do",
                metadata: ["hosts": "\(unresolved.joined(separator: ","))"])
        }
        guard !v4.isEmpty || !v6.isEmpty else {
            throw InterceptionError(
                .nothingToRedirect,
                "none of the \(hosts.count) provider hosts resolved; check DNS (or /etc/hosts) and run `chaperone rules install` again")
        }
        var applied: [RedirectRuleSet] = []
        for (family, addresses) in [(RedirectRuleSet.Family.ipv4, v4), (.ipv6, v6)] {
            if family == .ipv6, !Self.ipv6Available || addresses.isEmpty { continue }
            let set = RedirectRuleSet(family: family, addresses: addresses, daemonPort: daemonPort, exemptUID: uid)
            try runner.check(family.restoreCommand, ["--noflush"], input: set.restoreInput)
            if try !jumpPresent(family) {
                try runner.check(family.command, ["-w", "-t", "nat", "-I", "OUTPUT", "1", "-j", RedirectRuleSet.outputChain])
            }
            applied.append(set)
        }
        return applied
    }

    /// Removes the jump and the chain for both families; a no-op where they are absent.
    public func uninstall() throws(InterceptionError) {
        for family in RedirectRuleSet.Family.allCases {
            if family == .ipv6, !Self.ipv6Available { continue }
            guard try chainPresent(family) else { continue }
            try runner.check(family.restoreCommand, ["--noflush"], input: RedirectRuleSet.removalInput(jumpPresent: try jumpPresent(family)))
        }
    }

    /// What is installed, and whether the daemon answers on `daemonPort`.
    public func status(daemonPort: Int) throws(InterceptionError) -> Status {
        let v4 = try familyStatus(.ipv4)
        let v6 = Self.ipv6Available ? try familyStatus(.ipv6) : nil
        let answers = Self.portAnswers(daemonPort)
        let rulesInPlace = (v4.jumpPresent && !v4.redirectedAddresses.isEmpty)
            || (v6.map { $0.jumpPresent && !$0.redirectedAddresses.isEmpty } ?? false)
        return Status(ipv4: v4, ipv6: v6, daemonPort: daemonPort, daemonAnswers: answers, protected: rulesInPlace && answers)
    }

    private func familyStatus(_ family: RedirectRuleSet.Family) throws(InterceptionError) -> Status.FamilyStatus {
        guard try chainPresent(family) else {
            return .init(chainPresent: false, jumpPresent: false, redirectedAddresses: [])
        }
        let rules = try runner.check(family.command, ["-w", "-t", "nat", "-S", RedirectRuleSet.outputChain])
        let addresses = rules.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard words.contains("REDIRECT"), let index = words.firstIndex(of: "-d"), index + 1 < words.count else { return nil }
            return String(words[index + 1].split(separator: "/").first ?? "")
        }
        return .init(chainPresent: true, jumpPresent: try jumpPresent(family), redirectedAddresses: addresses)
    }

    private func chainPresent(_ family: RedirectRuleSet.Family) throws(InterceptionError) -> Bool {
        try runner.run(family.command, ["-w", "-t", "nat", "-S", RedirectRuleSet.outputChain]).status == 0
    }

    private func jumpPresent(_ family: RedirectRuleSet.Family) throws(InterceptionError) -> Bool {
        try runner.run(family.command, ["-w", "-t", "nat", "-C", "OUTPUT", "-j", RedirectRuleSet.outputChain]).status == 0
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
