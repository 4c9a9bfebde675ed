/// The minimal redirect rule set: nat OUTPUT → `CHAPERONE-OUTPUT` → REDIRECT to the daemon.
///
/// ```
/// *nat
/// :CHAPERONE-OUTPUT - [0:0]
/// -F CHAPERONE-OUTPUT
/// -A CHAPERONE-OUTPUT -m owner --uid-owner 998 -j RETURN          # the daemon's own upstream traffic
/// -A CHAPERONE-OUTPUT -d 198.18.0.10/32 -p tcp --dport 443 -j REDIRECT --to-ports 15443
/// COMMIT
/// ```
/// plus one jump `-I OUTPUT 1 -j CHAPERONE-OUTPUT`. Everything lives in our own chain so that
/// `uninstall` removes exactly what `install` added. The complete netfilter layer (ipsets filled from
/// DNS, PREROUTING for containers, UDP/443 reject) extends this type.
public struct RedirectRuleSet: Sendable, Equatable {
    /// IPv4 or IPv6: which `iptables` family a rule set is for.
    public enum Family: String, Sendable, CaseIterable {
        case ipv4, ipv6

        /// The restore command for this family.
        public var restoreCommand: String { self == .ipv4 ? "iptables-restore" : "ip6tables-restore" }
        /// The rule command for this family.
        public var command: String { self == .ipv4 ? "iptables" : "ip6tables" }
        var hostPrefix: Int { self == .ipv4 ? 32 : 128 }
    }

    /// The chain in the nat table that holds our rules.
    public static let outputChain = "CHAPERONE-OUTPUT"

    public let family: Family
    /// Destination addresses to redirect (literals of this family).
    public let addresses: [String]
    /// The port the daemon listens on.
    public let daemonPort: Int
    /// The daemon's uid, whose connections pass untouched.
    public let exemptUID: UInt32
    /// The destination port that is intercepted.
    public let interceptedPort: Int

    public init(family: Family, addresses: [String], daemonPort: Int, exemptUID: UInt32, interceptedPort: Int = 443) {
        self.family = family
        self.addresses = addresses
        self.daemonPort = daemonPort
        self.exemptUID = exemptUID
        self.interceptedPort = interceptedPort
    }

    /// The input for `iptables-restore --noflush` that (re)fills our chain.
    public var restoreInput: String {
        var lines = [
            "*nat",
            ":\(Self.outputChain) - [0:0]",
            "-F \(Self.outputChain)",
            "-A \(Self.outputChain) -m owner --uid-owner \(exemptUID) -j RETURN",
        ]
        for address in addresses {
            lines.append(
                "-A \(Self.outputChain) -d \(address)/\(family.hostPrefix) -p tcp -m tcp --dport \(interceptedPort) -j REDIRECT --to-ports \(daemonPort)"
            )
        }
        lines.append("COMMIT")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The input for `iptables-restore --noflush` that removes the jump and our chain.
    public static func removalInput(jumpPresent: Bool) -> String {
        var lines = ["*nat"]
        if jumpPresent { lines.append("-D OUTPUT -j \(outputChain)") }
        lines += ["-F \(outputChain)", "-X \(outputChain)", "COMMIT"]
        return lines.joined(separator: "\n") + "\n"
    }
}
