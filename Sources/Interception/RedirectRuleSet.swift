/// Chaperone's complete netfilter rule set for one address family, as `iptables-restore
/// --noflush` input, plus the `ipset restore` input that creates and fills its set.
///
/// ```
/// *nat
/// :CHAPERONE-OUTPUT - [0:0]
/// :CHAPERONE-PREROUTING - [0:0]
/// -F CHAPERONE-OUTPUT
/// -F CHAPERONE-PREROUTING
/// -A CHAPERONE-OUTPUT -m owner --uid-owner 998 -j RETURN
/// -A CHAPERONE-OUTPUT -p tcp -m tcp --dport 443 -m set --match-set chaperone-llm4 dst -j REDIRECT --to-ports 15443
/// -A CHAPERONE-PREROUTING -i docker0 -p tcp -m tcp --dport 443 -m set --match-set chaperone-llm4 dst -j REDIRECT --to-ports 15443
/// ... one PREROUTING rule per bridge pattern
/// -I OUTPUT 1 -j CHAPERONE-OUTPUT                 (only when missing)
/// -I PREROUTING 1 -j CHAPERONE-PREROUTING         (only when missing)
/// COMMIT
/// *filter
/// :CHAPERONE-FILTER - [0:0]
/// -F CHAPERONE-FILTER
/// -A CHAPERONE-FILTER -p udp -m udp --dport 443 -m set --match-set chaperone-llm4 dst -j REJECT --reject-with icmp-port-unreachable
/// -I OUTPUT 1 -j CHAPERONE-FILTER                 (only when missing)
/// -I FORWARD 1 -j CHAPERONE-FILTER                (only when missing)
/// COMMIT
/// *mangle
/// :CHAPERONE-DNS - [0:0]
/// -F CHAPERONE-DNS
/// -A CHAPERONE-DNS -p udp -m udp --sport 53 -j NFQUEUE --queue-num 0 --queue-bypass
/// -A CHAPERONE-DNS -p tcp -m tcp --sport 53 -j NFQUEUE --queue-num 0 --queue-bypass
/// -I INPUT 1 -j CHAPERONE-DNS                     (only when missing)
/// -I FORWARD 1 -j CHAPERONE-DNS                   (only when missing)
/// COMMIT
/// ```
/// Everything lives in our own chains, so `uninstall` removes exactly what `install` added;
/// `docs/netfilter.md` explains each line.
public struct RedirectRuleSet: Sendable, Equatable {
    /// IPv4 or IPv6: which `iptables` family a rule set is for.
    public enum Family: String, Sendable, CaseIterable, Codable {
        case ipv4, ipv6

        /// The restore command for this family.
        public var restoreCommand: String { self == .ipv4 ? "iptables-restore" : "ip6tables-restore" }
        /// The save command for this family.
        public var saveCommand: String { self == .ipv4 ? "iptables-save" : "ip6tables-save" }
        /// The rule command for this family.
        public var command: String { self == .ipv4 ? "iptables" : "ip6tables" }
        /// The ipset holding this family's provider addresses.
        public var setName: String { self == .ipv4 ? IPSetNames.ipv4 : IPSetNames.ipv6 }
        /// ipset's family keyword.
        var ipsetFamily: String { self == .ipv4 ? "inet" : "inet6" }
        /// The ICMP error that makes a UDP sender see ECONNREFUSED.
        var portUnreachable: String { self == .ipv4 ? "icmp-port-unreachable" : "icmp6-port-unreachable" }
    }

    /// One of our chains and the built-in chains that jump to it.
    public struct Chain: Sendable, Equatable, Hashable {
        public var table: String
        public var name: String
        public var jumpsFrom: [String]
    }

    /// nat OUTPUT: the host's own connections.
    public static let outputChain = "CHAPERONE-OUTPUT"
    /// nat PREROUTING: connections forwarded from container bridges.
    public static let preroutingChain = "CHAPERONE-PREROUTING"
    /// filter OUTPUT and FORWARD: UDP/443 (QUIC) to provider addresses is refused.
    public static let filterChain = "CHAPERONE-FILTER"
    /// mangle INPUT and FORWARD: DNS answers go through the snooper's queue.
    public static let dnsChain = "CHAPERONE-DNS"

    /// All our chains, in the order tables are written.
    public static let chains: [Chain] = [
        Chain(table: "nat", name: outputChain, jumpsFrom: ["OUTPUT"]),
        Chain(table: "nat", name: preroutingChain, jumpsFrom: ["PREROUTING"]),
        Chain(table: "filter", name: filterChain, jumpsFrom: ["OUTPUT", "FORWARD"]),
        Chain(table: "mangle", name: dnsChain, jumpsFrom: ["INPUT", "FORWARD"]),
    ]

    /// The tables we write to, in order.
    public static let tables = ["nat", "filter", "mangle"]

    /// The default bridge interfaces of Docker, user-defined Docker networks, CNI and Podman.
    public static let defaultBridgeInterfaces = ["docker0", "br-+", "cni+", "podman+"]

    public let family: Family
    /// The addresses resolved at install time (they go into the set with ``installTimeout``).
    public let addresses: [String]
    /// The port the daemon listens on.
    public let daemonPort: Int
    /// The daemon's uid, whose connections pass untouched.
    public let exemptUID: UInt32
    /// The destination port that is intercepted.
    public let interceptedPort: Int
    /// Interfaces (iptables `-i` syntax, `+` as wildcard) whose forwarded traffic is redirected.
    public let bridgeInterfaces: [String]
    /// The NFQUEUE number of the DNS snooper; nil leaves DNS alone.
    public let queueNumber: UInt16?
    /// Whether DNS answers pass when no snooper listens on the queue (`dns_queue_bypass`).
    public let queueBypass: Bool
    /// Seconds the resolved addresses stay in the set (renewed by every install).
    public let installTimeout: UInt32

    public init(
        family: Family, addresses: [String], daemonPort: Int, exemptUID: UInt32, interceptedPort: Int = 443,
        bridgeInterfaces: [String] = RedirectRuleSet.defaultBridgeInterfaces, queueNumber: UInt16? = 0,
        queueBypass: Bool = true, installTimeout: UInt32 = 604_800
    ) {
        self.family = family
        self.addresses = addresses
        self.daemonPort = daemonPort
        self.exemptUID = exemptUID
        self.interceptedPort = interceptedPort
        self.bridgeInterfaces = bridgeInterfaces
        self.queueNumber = queueNumber
        self.queueBypass = queueBypass
        self.installTimeout = installTimeout
    }

    /// The chains of this rule set (the DNS chain only when a queue is configured).
    public var chains: [Chain] {
        Self.chains.filter { $0.name != Self.dnsChain || queueNumber != nil }
    }

    /// `ipset create` arguments for this family's set (used with `-exist`).
    public var setCreateArguments: [String] {
        ["create", family.setName, "hash:ip", "family", family.ipsetFamily, "hashsize", "1024", "maxelem", "65536",
         "timeout", "0", "-exist"]
    }

    /// Input for `ipset restore -exist`: the resolved addresses with the install timeout.
    public var setRestoreInput: String {
        addresses.map { "add \(family.setName) \($0) timeout \(installTimeout)\n" }.joined()
    }

    /// The rules of our chains, table by table (without jumps).
    public var rules: [String: [String]] {
        let set = "-m set --match-set \(family.setName) dst"
        let tcp = "-p tcp -m tcp --dport \(interceptedPort)"
        let redirect = "-j REDIRECT --to-ports \(daemonPort)"
        var nat = [
            "-A \(Self.outputChain) -m owner --uid-owner \(exemptUID) -j RETURN",
            "-A \(Self.outputChain) \(tcp) \(set) \(redirect)",
        ]
        for interface in bridgeInterfaces {
            nat.append("-A \(Self.preroutingChain) -i \(interface) \(tcp) \(set) \(redirect)")
        }
        let filter = [
            "-A \(Self.filterChain) -p udp -m udp --dport \(interceptedPort) \(set) -j REJECT --reject-with \(family.portUnreachable)"
        ]
        var mangle: [String] = []
        if let queueNumber {
            let bypass = queueBypass ? " --queue-bypass" : ""
            for proto in ["udp", "tcp"] {
                mangle.append("-A \(Self.dnsChain) -p \(proto) -m \(proto) --sport 53 -j NFQUEUE --queue-num \(queueNumber)\(bypass)")
            }
        }
        return ["nat": nat, "filter": filter, "mangle": mangle]
    }

    /// The input for `iptables-restore --noflush`: every table's chains declared, flushed and
    /// refilled, and the jumps in `missingJumps` (as `"table/BUILTIN/CHAIN"`) inserted first.
    ///
    /// Each table commits atomically; declaring a chain that exists keeps it (and its jumps).
    public func restoreInput(missingJumps: Set<String>) -> String {
        var lines: [String] = []
        let rules = rules
        for table in Self.tables {
            let ours = chains.filter { $0.table == table }
            guard !ours.isEmpty else { continue }
            lines.append("*\(table)")
            lines += ours.map { ":\($0.name) - [0:0]" }
            lines += ours.map { "-F \($0.name)" }
            lines += rules[table] ?? []
            for chain in ours {
                for builtin in chain.jumpsFrom where missingJumps.contains("\(table)/\(builtin)/\(chain.name)") {
                    lines.append("-I \(builtin) 1 -j \(chain.name)")
                }
            }
            lines.append("COMMIT")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every jump this rule set needs, as `"table/BUILTIN/CHAIN"`.
    public var jumps: [String] {
        chains.flatMap { chain in chain.jumpsFrom.map { "\(chain.table)/\($0)/\(chain.name)" } }
    }

    /// The input for `iptables-restore --noflush` that removes our jumps and chains.
    ///
    /// - Parameters:
    ///   - presentChains: Our chains that exist, as `"table/CHAIN"`.
    ///   - presentJumps: Jump rules that exist, as `"table/BUILTIN/CHAIN"`, each once per copy.
    public static func removalInput(presentChains: Set<String>, presentJumps: [String]) -> String {
        var lines: [String] = []
        for table in tables {
            let jumps = presentJumps.filter { $0.hasPrefix("\(table)/") }
            let ours = chains.filter { $0.table == table && presentChains.contains("\(table)/\($0.name)") }
            guard !jumps.isEmpty || !ours.isEmpty else { continue }
            lines.append("*\(table)")
            for jump in jumps {
                let parts = jump.split(separator: "/")
                lines.append("-D \(parts[1]) -j \(parts[2])")
            }
            lines += ours.map { "-F \($0.name)" }
            lines += ours.map { "-X \($0.name)" }
            lines.append("COMMIT")
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// Reads `iptables-save` output: our chains present (`"table/CHAIN"`) and our jump rules
    /// (`"table/BUILTIN/CHAIN"`, once per copy), ignoring everything else.
    public static func parseSave(_ text: String) -> (chains: Set<String>, jumps: [String]) {
        let ourNames = Set(chains.map(\.name))
        var table = ""
        var present = Set<String>()
        var jumps: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix(":") {
                let name = String(line.dropFirst().split(separator: " ").first ?? "")
                if ourNames.contains(name) { present.insert("\(table)/\(name)") }
            } else if line.hasPrefix("-A ") {
                let words = line.split(separator: " ")
                if words.count == 4, words[2] == "-j", ourNames.contains(String(words[3])),
                    !ourNames.contains(String(words[1]))
                {
                    jumps.append("\(table)/\(words[1])/\(words[3])")
                }
            }
        }
        return (present, jumps)
    }
}
